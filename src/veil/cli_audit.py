"""``veil audit``: check that the log is whole, and export it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from veil.cli_support import err, run_or_exit, settings_or_exit

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify() -> None:
    """Walk the hash chain; name the first entry altered, deleted or inserted (exit 1)."""
    settings = settings_or_exit()
    code = 0

    async def go() -> None:
        nonlocal code
        from veil.store import db
        from veil.store.audit import verify_chain
        from veil.store.keyfile import keyring_of

        # A reader: walking a long log must not hold SQLite's write lock from the bot.
        engine = db.make_engine(
            settings.database_url, keyring=keyring_of(settings, create=False), reader=True
        )
        try:
            verdict = await verify_chain(engine)
        finally:
            await engine.dispose()
        if verdict.broken is not None:
            err.print(
                f"[red]the audit log is broken:[/red] {verdict.broken.describe()} "
                f"({verdict.checked} entries before it are whole)"
            )
            code = 1
            return
        if verdict.head is None:
            typer.echo("the audit log is empty")
            return
        head = verdict.head
        typer.echo(
            f"the audit log is whole: {verdict.checked} entries; head #{head.entry.seq} "
            f"{head.hash} (keep this elsewhere: it pins everything before it)"
        )

    run_or_exit(go())
    raise typer.Exit(code)


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        err.print(f"[red]{name} takes a date or time like 2026-12-01 or 2026-12-01T09:30[/red]")
        raise typer.Exit(2) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@audit_app.command("export")
def export(
    since: Annotated[str | None, typer.Option(help="From this UTC date or time.")] = None,
    until: Annotated[str | None, typer.Option(help="Before this UTC date or time.")] = None,
) -> None:
    """Write the entries as JSON Lines on stdout: pseudonyms and facts, no contents."""
    settings = settings_or_exit()
    start, end = _moment(since, "--since"), _moment(until, "--until")

    async def go() -> None:
        from veil.store import db
        from veil.store.audit import export as entries
        from veil.store.keyfile import keyring_of

        engine = db.make_engine(
            settings.database_url, keyring=keyring_of(settings, create=False), reader=True
        )
        count = 0
        try:
            async for entry in entries(engine, start, end):
                typer.echo(json.dumps(entry, ensure_ascii=False, sort_keys=True))
                count += 1
        finally:
            await engine.dispose()
        err.print(f"{count} entries")

    run_or_exit(go())
