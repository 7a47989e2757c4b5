"""The scheduler's Alembic environment (its own history, in the default alembic_version)."""

from __future__ import annotations

from alembic import context

from scheduler.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    # Veil's support_* tables share the database: they are Veil's to migrate.
    include_name=lambda name, type_, _parent: (
        type_ != "table" or not str(name).startswith("support_")
    ),
)
with context.begin_transaction():
    context.run_migrations()
