"""Adopting a database made before Veil had a branch and a version table of its own.

Revisions 0001 to 0004 kept Veil's people in ``users`` and its revision in the default
``alembic_version``: exactly the names a host bot uses. Such a database is brought, in
place and inside the migration's transaction, to what the baseline ``veil_0001`` makes
on an empty one (names of tables, indexes, constraints and sequences alike, so that later
revisions find what they expect), then recorded under ``support_alembic_version``.
Nothing is lost: on PostgreSQL everything is renamed; SQLite cannot rename a constraint,
so there each table is rebuilt from the baseline's own DDL and its rows copied across.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection

from veil.store.tables import VERSION_TABLE

log = logging.getLogger(__name__)

LEGACY_VERSION_TABLE = "alembic_version"
LEGACY_HEAD = "0004"
LEGACY_REVISIONS = frozenset({"0001", "0002", "0003", "0004"})
BASELINE = "veil_0001"
VEIL_REVISION = "veil_"  # how every revision id of Veil's branch begins
LEGACY_PEOPLE, PEOPLE = "users", "support_people"
# The tables that referred to ``users`` and the column that did.
REFERRING = (
    ("support_agent_status", "agent_id"),
    ("support_rate_limits", "user_id"),
    ("support_tickets", "assigned_agent_id"),
    ("support_tickets", "client_id"),
    ("support_tickets", "private_agent_id"),
    ("support_agent_assignments", "agent_id"),
    ("support_messages", "author_id"),
    ("support_canned_answers", "created_by"),
    ("support_invites", "created_by"),
    ("support_invites", "used_by"),
)


class LegacyRevisionError(RuntimeError):
    """A database of Veil's first layout, but not at its last revision."""


def legacy_revision(connection: Connection) -> str | None:
    """The revision of a database in Veil's first layout, or None for any other."""
    insp = inspect(connection)
    names = set(insp.get_table_names())
    if VERSION_TABLE in names or LEGACY_VERSION_TABLE not in names:
        return None
    if not {LEGACY_PEOPLE, "support_tickets"} <= names:
        return None
    # Veil's own naming convention on the people table: a host's `users` never has it.
    uniques = {u["name"] for u in insp.get_unique_constraints(LEGACY_PEOPLE)}
    if f"uq_{LEGACY_PEOPLE}_telegram_id" not in uniques:
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {LEGACY_VERSION_TABLE}"))
    versions = [str(row[0]) for row in rows]
    if any(v.startswith(VEIL_REVISION) for v in versions):
        return None  # Veil's branch in a host's own history: not the first layout
    ours = [v for v in versions if v in LEGACY_REVISIONS]
    return ours[0] if ours else None


def hosts_revision(connection: Connection) -> str | None:
    """Veil's revision when a host runs Alembic itself with Veil's branch included (it is
    then recorded in the host's ``alembic_version``, not Veil's own version table)."""
    names = set(inspect(connection).get_table_names())
    if VERSION_TABLE in names or LEGACY_VERSION_TABLE not in names:
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {LEGACY_VERSION_TABLE}"))
    found = [str(row[0]) for row in rows if str(row[0]).startswith(VEIL_REVISION)]
    return found[0] if found else None


def adopt(connection: Connection, stamp: Callable[[str], None]) -> bool:
    """Bring a legacy database to the baseline and ``stamp`` it; False when not legacy."""
    revision = legacy_revision(connection)
    if revision is None:
        return False
    if revision != LEGACY_HEAD:
        raise LegacyRevisionError(
            f"this database is at Veil's old revision {revision}; upgrade it with the Veil "
            f"release that made it (to {LEGACY_HEAD}) first"
        )
    log.warning("adopting a database of Veil's first layout: users -> support_people")
    if connection.dialect.name == "postgresql":
        _rename_on_postgresql(connection)
    else:
        _rebuild_on_sqlite(connection)
    connection.execute(
        text(f"DELETE FROM {LEGACY_VERSION_TABLE} WHERE version_num = :v"), {"v": LEGACY_HEAD}
    )
    if connection.execute(text(f"SELECT count(*) FROM {LEGACY_VERSION_TABLE}")).scalar() == 0:
        # The table was Veil's alone; a host's own revisions would have kept it.
        connection.execute(text(f"DROP TABLE {LEGACY_VERSION_TABLE}"))
    stamp(BASELINE)
    return True


def _rename_on_postgresql(connection: Connection) -> None:
    def run(sql: str) -> None:
        connection.exec_driver_sql(sql)

    run(f"ALTER TABLE {LEGACY_PEOPLE} RENAME TO {PEOPLE}")
    run(f"ALTER SEQUENCE {LEGACY_PEOPLE}_id_seq RENAME TO {PEOPLE}_id_seq")
    run(f"ALTER INDEX ix_{LEGACY_PEOPLE}_role RENAME TO ix_{PEOPLE}_role")
    run(f"ALTER TABLE {PEOPLE} RENAME CONSTRAINT pk_{LEGACY_PEOPLE} TO pk_{PEOPLE}")
    run(
        f"ALTER TABLE {PEOPLE} RENAME CONSTRAINT uq_{LEGACY_PEOPLE}_telegram_id "
        f"TO uq_{PEOPLE}_telegram_id"
    )
    for table, column in REFERRING:
        run(
            f"ALTER TABLE {table} RENAME CONSTRAINT fk_{table}_{column}_{LEGACY_PEOPLE} "
            f"TO fk_{table}_{column}_{PEOPLE}"
        )


def baseline_sqlite_schema() -> list[tuple[str, str, str]]:
    """(type, table, DDL) of every table and index the baseline makes, in its order."""
    from veil.store.db import migrate_sync  # the baseline is the migration itself

    engine = create_engine("sqlite://")
    try:
        with engine.begin() as fresh:
            migrate_sync(fresh, BASELINE)
            rows = fresh.execute(
                text(
                    "SELECT type, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                    f"AND tbl_name != '{VERSION_TABLE}' ORDER BY rowid"
                )
            )
            return [(row[0], row[1], row[2]) for row in rows]
    finally:
        engine.dispose()


def _rebuild_on_sqlite(connection: Connection) -> None:
    schema = baseline_sqlite_schema()
    tables = [name for kind, name, _ in schema if kind == "table"]
    old_name = {name: (LEGACY_PEOPLE if name == PEOPLE else name) for name in tables}
    # Checked at commit, once every row is where it belongs.
    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    for name in tables:
        connection.exec_driver_sql(f'ALTER TABLE "{old_name[name]}" RENAME TO "_legacy_{name}"')
    legacy_indexes = connection.execute(
        text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name LIKE '\\_legacy\\_%' ESCAPE '\\'"
        )
    ).all()
    for (index,) in legacy_indexes:
        connection.exec_driver_sql(f'DROP INDEX "{index}"')
    for _, _, ddl in schema:
        connection.exec_driver_sql(ddl)
    for name in tables:
        columns = ", ".join(f'"{c["name"]}"' for c in inspect(connection).get_columns(name))
        connection.exec_driver_sql(
            f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM "_legacy_{name}"'
        )
    for name in reversed(tables):
        connection.exec_driver_sql(f'DROP TABLE "_legacy_{name}"')
