from veil.cli import app

app()
