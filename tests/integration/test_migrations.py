"""Veil's migrations beside a host's schema, and the adoption of a database of Veil's first
layout, on real SQLite and real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import bindparam, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_KEYRING
from veil.store import db
from veil.store.tables import VERSION_TABLE, metadata, people

LEGACY_SCRIPTS = Path(__file__).parent.parent / "fixtures" / "legacy_migrations"
VEIL_TABLES = set(metadata.tables)
HOST_TABLES = {"users", "bookings", "alembic_version"}
HOST_REVISION = "a1b2c3d4e5f6"
HEAD = "veil_0011"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


async def _sync(engine: AsyncEngine, fn: Callable[[Connection], Any]) -> Any:
    async with engine.begin() as connection:
        return await connection.run_sync(fn)


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _schema(connection: Connection, names: set[str]) -> dict[str, Any]:
    """Everything about ``names`` a migration could change: columns, keys, indexes, names."""
    insp = inspect(connection)
    schema: dict[str, Any] = {}
    for name in sorted(names):
        schema[name] = {
            # By name: a column added later sits last in an adopted table.
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in insp.get_columns(name)
            ),
            "pk": insp.get_pk_constraint(name),
            "fks": sorted(
                (str(fk["name"]), tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in insp.get_foreign_keys(name)
            ),
            "indexes": sorted(
                (str(i["name"]), tuple(map(str, i["column_names"])), bool(i["unique"]))
                for i in insp.get_indexes(name)
            ),
            "uniques": sorted(
                (str(u["name"]), tuple(u["column_names"]))
                for u in insp.get_unique_constraints(name)
            ),
        }
    if connection.dialect.name == "postgresql":
        schema["sequences"] = sorted(
            seq for seq in insp.get_sequence_names() if any(seq.startswith(f"{n}_") for n in names)
        )
    else:
        # Each statement's lines sorted: a table rebuilt by a later revision may list its
        # constraints in another order, which changes nothing.
        schema["ddl"] = sorted(
            sorted(line.strip().rstrip(",") for line in row[0].splitlines())
            for row in connection.execute(
                text(
                    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN :names"
                ).bindparams(bindparam("names", expanding=True)),
                {"names": sorted(names)},
            )
        )
    return schema


def _rows(connection: Connection, names: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row, by column name (an adopted table may order its columns differently)."""
    return {
        name: [
            dict(row._mapping)
            for row in connection.execute(text(f"SELECT * FROM {name} ORDER BY 1"))
        ]
        for name in sorted(names)
    }


def _make_host(connection: Connection) -> None:
    """A scheduler's own schema: its users (with a role Veil does not know), bookings and
    Alembic history, made before Veil arrives."""
    run = connection.exec_driver_sql
    run(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, telegram_id BIGINT NOT NULL UNIQUE, "
        "role VARCHAR(20) NOT NULL, name VARCHAR(64))"
    )
    run("CREATE INDEX ix_users_role ON users (role)")
    run(
        "CREATE TABLE bookings (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL "
        "REFERENCES users (id), slot VARCHAR(32) NOT NULL)"
    )
    run("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    run(f"INSERT INTO alembic_version VALUES ('{HOST_REVISION}')")
    run(
        "INSERT INTO users VALUES (1, 5000000001, 'client', 'Ann Example'), "
        "(2, 5000000002, 'provider', 'Dr Bob'), (3, 5000000003, 'staff', 'Café ☕')"
    )
    run("INSERT INTO bookings VALUES (1, 1, '2026-12-02T10:00'), (2, 1, '2026-12-03T11:30')")


async def test_migrations_go_up_down_and_up_again(database_url: str) -> None:
    engine = db.make_engine(database_url, keyring=TEST_KEYRING)
    try:
        await db.upgrade(engine)
        assert await _sync(engine, _tables) == VEIL_TABLES | {VERSION_TABLE}
        assert await db.current_revision(engine) == HEAD
        await db.downgrade(engine, "base")
        assert await _sync(engine, _tables) == set()
        await db.upgrade(engine)
        assert await _sync(engine, _tables) == VEIL_TABLES | {VERSION_TABLE}
    finally:
        await engine.dispose()


async def test_veil_comes_and_goes_beside_a_host_schema_touching_nothing_of_it(
    database_url: str,
) -> None:
    engine = db.make_engine(database_url, keyring=TEST_KEYRING)
    try:
        await _sync(engine, _make_host)
        before = await _sync(engine, lambda c: (_schema(c, HOST_TABLES), _rows(c, HOST_TABLES)))

        await db.upgrade(engine)
        assert await _sync(engine, _tables) == HOST_TABLES | VEIL_TABLES | {VERSION_TABLE}
        assert await db.current_revision(engine) == HEAD
        await db.upgrade(engine)  # again: nothing to do, nothing touched
        after = await _sync(engine, lambda c: (_schema(c, HOST_TABLES), _rows(c, HOST_TABLES)))
        assert after == before

        await db.downgrade(engine, "base")
        assert await _sync(engine, _tables) == HOST_TABLES
        after = await _sync(engine, lambda c: (_schema(c, HOST_TABLES), _rows(c, HOST_TABLES)))
        assert after == before
    finally:
        await engine.dispose()


def _legacy_upgrade(connection: Connection) -> None:
    """A database exactly as Veil's first layout made it: revisions 0001 to 0004."""
    config = Config()
    config.set_main_option("script_location", str(LEGACY_SCRIPTS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _legacy_rows(connection: Connection) -> None:
    run = connection.execute
    run(
        text(
            "INSERT INTO users (id, telegram_id, role, language, created_at, updated_at) "
            "VALUES (1, 5000000001, 'client', 'de', :now, :now), "
            "(2, 5000000002, 'support_agent', NULL, :now, :now)"
        ),
        {"now": NOW},
    )
    run(
        text(
            "INSERT INTO support_agent_status (agent_id, alias, level, status, capacity, "
            "open_tickets) VALUES (2, 'Agent-2', 'L2', 'online', 5, 1)"
        )
    )
    run(
        text(
            "INSERT INTO support_tickets (id, public_id, client_id, status, priority, "
            "required_level, assigned_agent_id, desk_chat_id, desk_topic_id, message_count, "
            "created_at, last_activity_at) VALUES (7, 'SUPP-1763631000-AB12', 1, 'open', "
            "'high', 'L2', 2, -1001, 42, 1, :now, :now)"
        ),
        {"now": NOW},
    )
    run(
        text(
            "INSERT INTO support_messages (ticket_id, seq, direction, kind, text, author_id, "
            "client_message_id, desk_chat_id, desk_message_id, created_at) VALUES "
            "(7, 1, 'from_client', 'text', 'Grüße 👋', 1, 10, -1001, 99, :now)"
        ),
        {"now": NOW},
    )


VEIL_ROWS = {"support_people", "support_agent_status", "support_tickets", "support_messages"}


async def test_a_database_of_veils_first_layout_is_adopted_in_place(database_url: str) -> None:
    legacy = db.make_engine(database_url, keyring=TEST_KEYRING)
    try:
        await _sync(legacy, _legacy_upgrade)
        await _sync(legacy, _legacy_rows)
        kept = await _sync(
            legacy,
            lambda c: (
                _rows(c, {"users", "support_agent_status", "support_tickets"})
                | _rows(c, {"support_messages"})
            ),
        )

        await db.upgrade(legacy)

        assert await db.current_revision(legacy) == HEAD
        assert await _sync(legacy, _tables) == VEIL_TABLES | {VERSION_TABLE}
        rows = _opened(await _sync(legacy, lambda c: _rows(c, VEIL_ROWS)))
        assert rows["support_people"] == kept["users"]
        for name in VEIL_ROWS - {"support_people"}:  # later revisions add columns
            assert len(rows[name]) == len(kept[name])
            pairs = zip(rows[name], kept[name], strict=True)
            assert [{k: row[k] for k in old} for row, old in pairs] == kept[name]
        adopted = await _sync(legacy, lambda c: _schema(c, VEIL_TABLES))
        # The people still own their ticket: new rows refer to the renamed table.
        await _sync(legacy, _agent_answers)

        # Exactly what an empty database gets, so later revisions find the names they expect.
        await db.downgrade(legacy, "base")
        assert await _sync(legacy, _tables) == set()
        await db.upgrade(legacy)
        assert await _sync(legacy, lambda c: _schema(c, VEIL_TABLES)) == adopted
    finally:
        await legacy.dispose()


def _opened(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The rows as they were before sealing: ids and texts opened, lookup hashes dropped."""
    for person in rows.get("support_people", []):
        assert person.pop("telegram_key") == TEST_KEYRING.lookup(
            int(TEST_KEYRING.open(person["telegram_id"]))
        )
        person["telegram_id"] = int(TEST_KEYRING.open(person["telegram_id"]))
    for message in rows.get("support_messages", []):
        if message["text"] is not None:
            message["text"] = TEST_KEYRING.open(message["text"])
    return rows


def _agent_answers(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO support_messages (ticket_id, seq, direction, kind, text, author_id, "
            "created_at) VALUES (7, 2, 'from_agent', 'text', :text, 2, :now)"
        ),
        {"now": NOW, "text": TEST_KEYRING.seal("Hallo")},
    )
    count = connection.execute(text("SELECT count(*) FROM support_messages WHERE ticket_id = 7"))
    assert count.scalar() == 2


def _differences(connection: Connection) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
    )
    return [d for d in compare_metadata(context, metadata) if _veils(d)]


def _veils(difference: Any) -> bool:
    """A difference about one of Veil's tables (the first table object it names)."""
    items = difference if isinstance(difference, list) else [difference]
    for item in items:
        for part in item if isinstance(item, tuple) else (item,):
            name = getattr(part, "name", None) or getattr(getattr(part, "table", None), "name", "")
            if isinstance(name, str) and name.startswith(("support_", "ix_support", "uq_support")):
                return True
    return False


async def test_the_migrations_make_exactly_the_schema_the_code_maps(database_url: str) -> None:
    engine = db.make_engine(database_url, keyring=TEST_KEYRING)
    try:
        await db.upgrade(engine)
        assert await _sync(engine, _differences) == []
    finally:
        await engine.dispose()


HOST_ENV = """
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
"""
HOST_REVISION_FILE = f'''
import sqlalchemy as sa
from alembic import op

revision = "{HOST_REVISION}"
down_revision = None
branch_labels = ("scheduler",)
depends_on = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():
    op.drop_table("users")
'''


def _host_alembic(root: Path) -> Config:
    """A host's own Alembic setup that lists Veil's revisions among its version locations."""
    (root / "versions").mkdir(parents=True)
    (root / "env.py").write_text(HOST_ENV)
    (root / "versions" / "host_users.py").write_text(HOST_REVISION_FILE)
    config = Config()
    config.set_main_option("script_location", str(root))
    veils = db.MIGRATIONS / "versions"
    config.set_main_option("version_locations", f"{root / 'versions'} {veils}")
    config.set_main_option("path_separator", "space")
    return config


async def test_a_host_running_alembic_itself_can_include_veils_revisions(
    database_url: str, tmp_path: Path
) -> None:
    config = _host_alembic(tmp_path / "host_migrations")
    engine = db.make_engine(database_url, keyring=TEST_KEYRING)

    def upgrade(connection: Connection) -> set[str]:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
        return {
            row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))
        }

    def downgrade_veil(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, "veil@base")

    try:
        heads = await _sync(engine, upgrade)
        assert heads == {HOST_REVISION, HEAD}  # two branches, one version table: the host's
        assert await _sync(engine, _tables) == VEIL_TABLES | {"users", "alembic_version"}
        assert await _sync(engine, _differences) == []
        await db.upgrade(engine)  # Veil starting up leaves the host's history alone
        assert await _sync(engine, _tables) == VEIL_TABLES | {"users", "alembic_version"}
        await _sync(engine, downgrade_veil)
        assert await _sync(engine, _tables) == {"users", "alembic_version"}
    finally:
        await engine.dispose()


def _a_conversation(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO support_people (id, telegram_id, role, created_at, updated_at) "
            "VALUES (1, 5000000001, 'client', :now, :now)"
        ),
        {"now": NOW},
    )
    connection.execute(
        text(
            "INSERT INTO support_tickets (id, public_id, client_id, status, priority, "
            "required_level, desk_chat_id, message_count, created_at, last_activity_at) "
            "VALUES (7, 'SUPP-1763631000-AB12', 1, 'open', 'normal', 'L1', -1001, 1, :now, :now)"
        ),
        {"now": NOW},
    )
    connection.execute(
        text(
            "INSERT INTO support_messages (ticket_id, seq, direction, kind, text, created_at) "
            "VALUES (7, 1, 'from_client', 'text', 'kept', :now)"
        ),
        {"now": NOW},
    )


def _counts(connection: Connection) -> tuple[int, int]:
    tickets = connection.execute(text("SELECT count(*) FROM support_tickets")).scalar()
    messages = connection.execute(text("SELECT count(*) FROM support_messages")).scalar()
    return int(tickets or 0), int(messages or 0)


def _plain(connection: Connection) -> tuple[Any, Any]:
    person = connection.execute(text("SELECT telegram_id FROM support_people")).scalar()
    message = connection.execute(text("SELECT text FROM support_messages")).scalar()
    return person, message


async def test_going_down_a_revision_and_up_again_keeps_every_row(database_url: str) -> None:
    """A revision that rebuilds the tickets table on SQLite (dropping a column) must not
    take the messages with it through their cascading foreign key; the rows stored before
    sealing are sealed on the way up and opened on the way down."""
    engine = db.make_engine(database_url, keyring=TEST_KEYRING)
    try:
        await db.upgrade(engine, "veil_0003")
        await _sync(engine, _a_conversation)
        await db.upgrade(engine)
        person, message = await _sync(engine, _plain)
        assert "5000000001" not in person and "kept" not in message
        assert TEST_KEYRING.open(person) == "5000000001" and TEST_KEYRING.open(message) == "kept"
        async with engine.connect() as connection:
            found = await connection.scalar(
                select(people.c.id).where(people.c.telegram_key == TEST_KEYRING.lookup(5000000001))
            )
        assert found == 1
        await db.downgrade(engine, "veil_0002")
        assert await _sync(engine, _counts) == (1, 1)
        assert await _sync(engine, _plain) == (5000000001, "kept")
        await db.upgrade(engine)
        assert await _sync(engine, _counts) == (1, 1)
        assert await db.current_revision(engine) == HEAD
    finally:
        await engine.dispose()
