"""``veil keys``: make a key, see what each key seals, rotate to the newest."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from veil.cli_support import err, run_or_exit, settings_or_exit

keys_app = typer.Typer(help="Encryption keys (VEIL_ENCRYPTION_KEYS or the key file).")


@keys_app.command("generate")
def generate(
    add: Annotated[
        bool,
        typer.Option(
            "--add",
            help="Add it to the key file (VEIL_ENCRYPTION_KEY_FILE) as an opening key; "
            "`veil keys promote` later makes it the one that seals.",
        ),
    ] = False,
) -> None:
    """Print a new key (with --add: into the key file, as an opening key first)."""
    from veil.store.crypto import generate_key
    from veil.store.keyfile import add_key

    key = generate_key()
    if not add:
        typer.echo(key)
        return
    settings = settings_or_exit()
    if settings.encryption_keys is not None:
        err.print(
            "[red]VEIL_ENCRYPTION_KEYS is set, so the key file is not used:[/red] put the new "
            "key first in VEIL_ENCRYPTION_KEYS instead"
        )
        typer.echo(key)
        raise typer.Exit(1)
    add_key(settings.encryption_key_file, key)
    err.print(
        f"added a new key to {settings.encryption_key_file}, second: it opens from the next "
        "start. Restart every Veil process, then run `veil keys promote`."
    )


@keys_app.command("promote")
def promote_key() -> None:
    """Make the second key of the key file the one that seals (after every process was
    restarted with it); then restart them again and run `veil keys rotate`."""
    from veil.config import ConfigError
    from veil.store.keyfile import promote

    settings = settings_or_exit()
    if settings.encryption_keys is not None:
        err.print("[red]VEIL_ENCRYPTION_KEYS is set:[/red] put the new key first in it instead")
        raise typer.Exit(1)
    try:
        kid = promote(settings.encryption_key_file)
    except ConfigError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    err.print(
        f"key {kid} seals from the next start. Restart every Veil process, then run "
        "`veil keys rotate`."
    )


@keys_app.command("status")
def status() -> None:
    """How many stored values each column still holds under an older key."""
    settings = settings_or_exit()

    async def go() -> None:
        from veil.store import db, rotation
        from veil.store.keyfile import keyring_of

        keyring = keyring_of(settings, create=False)
        engine = db.make_engine(settings.database_url, keyring=keyring, reader=True)
        try:
            left = await rotation.left(engine)
        finally:
            await engine.dispose()
        typer.echo(f"keys (newest first): {', '.join(keyring.kids)}")
        for name, count in left.items():
            typer.echo(f"{name}: {count} under an older key")

    run_or_exit(go())


@keys_app.command("rotate")
def rotate(
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Rows per transaction.")] = 500,
) -> None:
    """Seal again under the newest key everything an older key sealed, in batches.
    Safe beside a running Veil; killed, it resumes where it stopped when run again."""
    settings = settings_or_exit()

    async def go() -> None:
        from sqlalchemy.exc import IntegrityError

        from veil.domain.audit import OPERATOR, Action
        from veil.store import db, rotation
        from veil.store.keyfile import keyring_of
        from veil.store.uow import SqlStore
        from veil.system import utcnow

        keyring = keyring_of(settings, create=False)
        engine = db.make_engine(settings.database_url, keyring=keyring)
        try:
            await db.upgrade(engine)
            left = await rotation.left(engine)
            total = sum(left.values())
            err.print(f"{total} values to seal again under key {keyring.newest}")
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=err,
                transient=False,
            ) as bar:
                task = bar.add_task("rotating", total=total)
                try:
                    done = await rotation.rotate(
                        engine, batch, lambda column, count: bar.advance(task, count)
                    )
                except IntegrityError:
                    err.print(
                        "[red]two people have the same lookup under the new key:[/red] a "
                        "process ran without it (restart every Veil process with every key, "
                        "then run this again)"
                    )
                    raise typer.Exit(1) from None
            still = sum((await rotation.left(engine)).values())
            store = SqlStore(engine, utcnow)
            async with store() as uow:
                uow.audit.acting_as(OPERATOR)
                uow.audit.record(Action.KEYS_ROTATED, None, key=keyring.newest, values=done)
                await uow.commit()
        finally:
            await engine.dispose()
        err.print(f"sealed again: {done}; left under older keys: {still}")
        if still:
            err.print(
                "[yellow]some values changed while rotating or were written by a Veil still "
                "running with the old newest key: restart it, then run this again[/yellow]"
            )
            raise typer.Exit(1)
        err.print("every value is sealed by the newest key; older keys may now be removed")

    run_or_exit(go())
