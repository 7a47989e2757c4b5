"""The ``veil`` command."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from veil import logs
from veil.cli_audit import audit_app
from veil.cli_keys import keys_app
from veil.cli_support import err, run_or_exit, settings_or_exit
from veil.config import ConfigError, Settings, load_settings

app = typer.Typer(help="Veil: anonymous live support for Telegram bots.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)
agents_app = typer.Typer(help="Support agents.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(agents_app, name="agents")
app.add_typer(bench_app, name="bench")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

_settings = settings_or_exit
_run = run_or_exit


@app.command()
def run(
    webhook: Annotated[
        str | None,
        typer.Option(
            help="Take updates by webhook at this public URL (VEIL_WEBHOOK_URL); "
            "Veil listens on VEIL_WEBHOOK_LISTEN behind your TLS proxy.",
        ),
    ] = None,
) -> None:
    """Serve Telegram (long polling, or a webhook). Migrates the database first."""
    settings = _settings()
    try:  # what a bot cannot start without, said before seconds of importing aiogram
        settings.require_bot()
    except ConfigError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from None
    if webhook is not None:
        try:
            settings = load_settings(webhook_url=webhook)
        except ConfigError as exc:
            err.print(f"[red]Configuration error:[/red] {exc}")
            raise typer.Exit(2) from None
    logs.configure(settings.log_level)
    _run(_serve(settings))


async def _serve(settings: Settings) -> None:
    from veil.bootstrap import build

    veil = build(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await veil.prepare()
        await veil.serve(stop)
    finally:
        await veil.close()


@app.command()
def demo(
    delay: Annotated[float, typer.Option(help="Pause between scripted steps, seconds.")] = 0.0,
) -> None:
    """The whole system against a fake Telegram: no token, no network, no services."""
    from veil.demo import run_demo

    logs.configure(os.environ.get("VEIL_LOG_LEVEL", "WARNING"))
    # A pipe or a log gets a wide table rather than rich's default 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=150)
    asyncio.run(run_demo(console, step_delay=delay))


@app.command("fake-telegram")
def fake_telegram(
    host: str = "127.0.0.1",
    port: int = 8081,
    token: Annotated[str, typer.Option(help="The bot token the fake accepts.")] = "123456:FAKE",
) -> None:
    """Run the fake Telegram Bot API server on its own."""
    from veil.faketg.server import serve_forever

    logs.configure("INFO")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(host, port, token=token))


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to the newest schema (or to REVISION)."""
    from veil.store import db

    _migrate(db.upgrade, revision)


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Migrate Veil's tables down to REVISION (``base`` removes every table of Veil's and
    nothing else: a host's tables in the same database stay as they are)."""
    from veil.store import db

    _migrate(db.downgrade, revision)


def _migrate(action: Callable[[AsyncEngine, str], Awaitable[None]], revision: str) -> None:
    from veil.store import db, keyfile
    from veil.store.keyfile import keyring_of
    from veil.system import utcnow

    settings = _settings()

    async def go() -> None:
        from alembic.util import CommandError

        from veil.store.crypto import KeyringError
        from veil.store.db import MigrationError
        from veil.store.legacy import LegacyRevisionError

        engine = db.make_engine(settings.database_url, keyring=keyring_of(settings))
        try:
            await action(engine, revision)
            revision_now = await db.current_revision(engine)
            if action is db.upgrade:
                await keyfile.check(engine, utcnow())
        except (CommandError, LegacyRevisionError, MigrationError, KeyringError) as exc:
            err.print(f"[red]Migration refused:[/red] {exc}")
            raise typer.Exit(1) from None
        finally:
            await engine.dispose()
        typer.echo(f"Veil's tables at revision {revision_now or 'none (no Veil tables)'}")

    _run(go())


@agents_app.command("add")
def agents_add(telegram_id: int) -> None:
    """Make the Telegram user TELEGRAM_ID a support agent (L1); a host's records stay as
    they are (a provider made an agent is still a provider in the bot)."""
    from veil.domain.audit import OPERATOR
    from veil.i18n import default_catalog
    from veil.services.agents import make_agent
    from veil.services.context import Context
    from veil.store import db
    from veil.store.host_people import host_users_of
    from veil.store.keyfile import keyring_of
    from veil.store.uow import SqlStore
    from veil.system import random_suffix, utcnow

    settings = _settings()

    async def go() -> None:
        engine = db.make_engine(settings.database_url, keyring=keyring_of(settings))
        store = SqlStore(engine, utcnow, host_users=host_users_of(settings))
        ctx = Context(utcnow, default_catalog(), random_suffix, settings.desk_chat_id or -1)
        try:
            await db.upgrade(store.engine)
            async with store() as uow:
                uow.audit.acting_as(OPERATOR)
                agent = await make_agent(uow, ctx, telegram_id)
                await uow.commit()
        finally:
            await store.engine.dispose()
        typer.echo(f"{telegram_id} is now a support agent: {agent.alias} ({agent.level.value})")

    _run(go())


@agents_app.command("list")
def agents_list() -> None:
    """List the users who may answer tickets (agents and admins)."""
    from veil.store import db
    from veil.store.admin import list_agents
    from veil.store.keyfile import keyring_of

    settings = _settings()

    async def go() -> None:
        engine = db.make_engine(settings.database_url, keyring=keyring_of(settings))
        try:
            await db.upgrade(engine)
            rows = await list_agents(engine)
        finally:
            await engine.dispose()
        table = Table("telegram id", "role", "since")
        for telegram_id, role, since in rows:
            table.add_row(str(telegram_id), role, since.strftime("%Y-%m-%d"))
        Console().print(table)

    _run(go())


@bench_app.command("routing")
def bench_routing(
    database_url: Annotated[str, typer.Option(help="An EMPTY PostgreSQL (or SQLite) database.")],
    tickets: int = 10_000,
    agents: int = 500,
    capacity: int = 18,
    seconds: float = 20.0,
    processes: int = 2,
) -> None:
    """Assignment decisions with many open tickets and agents; two processes racing."""
    from veil.bench import routing as bench
    from veil.store import db
    from veil.store.uow import SqlStore
    from veil.system import utcnow

    async def go() -> None:
        store = SqlStore(db.make_engine(database_url, keyring=bench.bench_keyring()), utcnow)
        try:
            await db.upgrade(store.engine)
            typer.echo(f"seeding {agents} agents and {tickets} open tickets ...")
            await bench.seed(store, agents, tickets, capacity, waiting=tickets // 10)
        finally:
            await store.engine.dispose()
        typer.echo(f"{processes} processes closing and routing for {seconds:.0f} s ...")
        results = await bench.race(database_url, seconds, processes)
        figures = bench.summarise(results, seconds)
        problems = await bench.check_invariants(database_url)
        table = Table("figure", "value")
        table.add_row("decisions that assigned a ticket", str(figures.decisions))
        table.add_row("tickets assigned", str(figures.assigned))
        table.add_row("assignments per second (all processes)", f"{figures.per_second:.0f}")
        table.add_row("choice p50 (read agents and queue, plan)", f"{figures.choice_p50_ms:.2f} ms")
        table.add_row("choice p99 (read agents and queue, plan)", f"{figures.choice_p99_ms:.2f} ms")
        table.add_row("decision p50 (route() alone)", f"{figures.p50_ms:.2f} ms")
        table.add_row("decision p99 (route() alone)", f"{figures.p99_ms:.2f} ms")
        table.add_row("close+route transaction p50", f"{figures.txn_p50_ms:.2f} ms")
        table.add_row("close+route transaction p99", f"{figures.txn_p99_ms:.2f} ms")
        table.add_row("conflicts retried", str(figures.conflicts))
        table.add_row("routing rules broken", str(len(problems)))
        Console().print(table)
        if problems:
            err.print("\n".join(problems[:20]))
            raise typer.Exit(1)

    _run(go())


@bench_app.command("figures")
def bench_figures(
    database_url: Annotated[str, typer.Option(help="An EMPTY PostgreSQL database.")],
    tickets: int = 100_000,
    messages: int = 1_000_000,
    repeats: int = 5,
) -> None:
    """The desk's figures over a large history: seeds it, then times each period."""
    from veil.bench import figures as bench
    from veil.bench.routing import bench_keyring
    from veil.store import db
    from veil.store.uow import SqlStore
    from veil.system import utcnow

    async def go() -> None:
        keyring = bench_keyring()
        store = SqlStore(db.make_engine(database_url, keyring=keyring), utcnow)
        try:
            await db.upgrade(store.engine)
            await bench.check_engine(store.engine)
            began = time.perf_counter()
            await bench.seed(store.engine, keyring, tickets, messages, err.print)
            err.print(f"seeded in {time.perf_counter() - began:.0f} s; timing the figures ...")
            timings = await bench.time_figures(store, repeats)
        finally:
            await store.engine.dispose()
        table = Table("period", "breakdown", "groups", "median", "max")
        for t in timings:
            table.add_row(
                t.period, t.breakdown, str(t.groups), f"{t.median_ms:.0f} ms", f"{t.max_ms:.0f} ms"
            )
        Console().print(table)
        slowest = max(t.max_ms for t in timings if t.breakdown == "desk")
        Console().print(f"slowest desk figures: {slowest:.0f} ms (target: under 500 ms)")

    _run(go())


@bench_app.command("delivery")
def bench_delivery(
    clients: Annotated[int, typer.Option(min=1, help="Clients, one ticket each.")] = 200,
    agents: Annotated[int, typer.Option(min=1, help="Agents online.")] = 10,
    duration: Annotated[
        float | None,
        typer.Option(help="Seconds of traffic [default: 120; --capacity: 30 per phase]."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="An EMPTY database [default: a temporary SQLite file]."),
    ] = None,
    limits: Annotated[bool, typer.Option(help="faketg enforces Telegram's limits.")] = True,
    chaos: Annotated[
        float, typer.Option(min=0, max=1, help="Share of the bot's calls given a fault.")
    ] = 0.0,
    kill_every: Annotated[
        float | None, typer.Option(min=1, help="SIGKILL and restart the bot this often, s.")
    ] = None,
    desks: Annotated[int, typer.Option(min=1, help="Desk groups.")] = 1,
    seed: Annotated[int | None, typer.Option(help="Seed of the traffic and faults.")] = None,
    drain_timeout: Annotated[float, typer.Option(help="Longest wait for the backlog, s.")] = 600,
    idle_mean: Annotated[float, typer.Option(help="Mean pause between bursts, s.")] = 45.0,
    max_messages: Annotated[
        int | None, typer.Option(help="Stop clients after this many messages in all.")
    ] = None,
    bot_log: Annotated[str | None, typer.Option(help="Where the bot's log goes.")] = None,
    bot_env: Annotated[
        list[str] | None, typer.Option(help="Extra bot setting, VEIL_X=value (repeatable).")
    ] = None,
    capacity: Annotated[
        bool, typer.Option(help="The bot's own speed, limits off, no faults.")
    ] = False,
    rate: Annotated[float, typer.Option(help="--capacity: offered load, messages/s.")] = 100.0,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Delivery under Telegram's flood limits: N bursty clients, M agents, faketg."""
    import json
    from pathlib import Path

    from veil.bench import delivery as bench
    from veil.bench.botproc import BenchError
    from veil.bench.traffic import Shape

    extra = dict(item.partition("=")[::2] for item in bot_env or [])
    if any(not key.startswith("VEIL_") for key in extra):
        err.print("[red]--bot-env takes VEIL_NAME=value[/red]")
        raise typer.Exit(2)
    config = bench.DeliveryConfig(
        clients=clients,
        agents=agents,
        duration=duration if duration is not None else (30.0 if capacity else 120.0),
        database_url=database_url,
        limits=limits and not capacity,
        chaos=0.0 if capacity else chaos,
        kill_every=None if capacity else kill_every,
        desks=desks,
        seed=seed,
        drain_timeout=drain_timeout,
        shape=Shape(idle_mean=idle_mean),
        max_messages=max_messages,
        bot_log=Path(bot_log) if bot_log else None,
        bot_env=extra,
        capacity=capacity,
        rate=rate,
    )
    console = Console() if sys.stdout.isatty() else Console(width=160)

    def progress(line: str) -> None:
        err.print(f"[dim]{line}[/dim]")

    try:
        report: bench.DeliveryReport | bench.CapacityReport
        if capacity:
            report = asyncio.run(bench.run_capacity(config, progress))
        else:
            report = asyncio.run(bench.run_delivery(config, progress))
    except BenchError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if json_output:
        typer.echo(json.dumps(bench.as_json(report), indent=2))
    elif isinstance(report, bench.CapacityReport):
        bench.print_capacity(report, console)
    else:
        bench.print_delivery(report, console)
    if not report.ok:
        err.print("[red]messages were lost, misrouted or delivered out of order[/red]")
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
