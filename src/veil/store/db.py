"""Engines and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from veil.store import legacy, sealing
from veil.store.crypto import Keyring
from veil.store.tables import BRANCH, VERSION_TABLE

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000


def make_engine(url: str, *, keyring: Keyring, reader: bool = False, **kwargs: Any) -> AsyncEngine:
    """An engine for Veil's units of work, sealing with ``keyring`` what it stores
    (store/sealing.py); ``reader`` makes one for looking only.

    On SQLite every transaction of a writer takes the write lock up front (see below);
    a reader's does not, so that deciding whether an update is Veil's at all (a host's
    updates mostly are not) never queues behind, or blocks, the writers.
    """
    # Bound values hold message texts and Telegram ids: keep them out of errors and logs.
    engine = create_async_engine(url, hide_parameters=True, **kwargs)
    if make_url(url).get_backend_name() == "sqlite":
        _sqlite_pragmas(engine)
        _sqlite_begin(engine, "BEGIN DEFERRED" if reader else "BEGIN IMMEDIATE")
    sealing.bind(engine, keyring)
    return engine


def _sqlite_begin(engine: AsyncEngine, statement: str) -> None:
    """SQLite: a writer's every transaction takes the write lock up front.

    A deferred transaction that reads and then writes can fail at once with
    "database is locked" when another connection writes; BEGIN IMMEDIATE makes it
    wait (busy_timeout) instead, which is what several tasks and processes need. A
    reader's stays deferred: it reads one snapshot and takes no lock from anyone.
    """

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(statement)


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    """SQLite: WAL (readers and the writer do not block each other), a patient busy
    timeout, foreign keys; transactions begun by us."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate_sync(connection: Connection, revision: str = "heads") -> None:
    """Bring Veil's tables to ``revision`` on a connection already in a transaction.

    A database of Veil's first layout (its people in ``users``) is adopted first.
    """
    config = alembic_config(connection)
    managed = legacy.hosts_revision(connection)
    if managed is not None:
        _check_host_managed(config, managed)
        return
    legacy.adopt(connection, lambda baseline: command.stamp(config, baseline))
    command.upgrade(config, _on_branch(revision))


def _check_host_managed(config: Config, revision: str) -> None:
    """The host migrates Veil's branch with its own Alembic: Veil leaves it alone, once
    sure its tables are the ones this code maps."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(config).get_current_head()
    if revision != head:
        raise MigrationError(
            f"Veil's tables are in your own Alembic history at {revision}, and this Veil "
            f"needs {head}: run your `alembic upgrade heads` first"
        )


def _on_branch(revision: str) -> str:
    # Veil's revisions are a branch of their own: "head" means Veil's head.
    return f"{BRANCH}@head" if revision in ("head", "heads") else revision


class MigrationError(RuntimeError):
    """A migration would leave the database inconsistent; nothing of it was kept."""


@asynccontextmanager
async def migrating(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection to migrate on, in one transaction.

    On SQLite, foreign keys are off while it runs and checked before it commits: Alembic's
    batch mode rebuilds a table by dropping it, and with foreign keys on SQLite first
    deletes its rows, cascading to every table that refers to it (a downgrade dropping a
    ticket column would empty the messages). The pragma cannot change inside a
    transaction, so it is set on the connection before its transaction begins.
    """
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            await connection.run_sync(_pragma, "PRAGMA foreign_keys=OFF")
        try:
            async with connection.begin():
                yield connection
                if sqlite:
                    broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise MigrationError(f"rows refer to nothing after migrating: {broken[:5]}")
        finally:
            if sqlite:
                await connection.run_sync(_pragma, "PRAGMA foreign_keys=ON")


def _pragma(connection: Connection, statement: str) -> None:
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with migrating(engine) as connection:
        await connection.run_sync(migrate_sync, revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Down to ``revision``; to ``base`` removes every table of Veil's, its version table too,
    and nothing else."""

    def _apply(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)
        if revision == "base":
            connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))

    async with migrating(engine) as connection:
        await connection.run_sync(_apply)


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def _read(connection: Connection) -> str | None:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_read)
