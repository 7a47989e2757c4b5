"""Alembic environment: runs on a connection handed in by ``veil.store.db``."""

from __future__ import annotations

from alembic import context

from veil.store.tables import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `veil db upgrade`, which supplies the connection")


def _ours(name: str | None, type_: str, _parent: object) -> bool:
    """Only Veil's tables are Veil's to compare: a host's share the database."""
    return type_ != "table" or bool(name and name.startswith("support_"))


context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    version_table=VERSION_TABLE,
    # Only Veil's tables are Veil's to compare: a host's share the database.
    include_name=lambda name, type_, _parent: (
        type_ != "table" or bool(name and name.startswith("support_"))
    ),
)
with context.begin_transaction():
    context.run_migrations()
