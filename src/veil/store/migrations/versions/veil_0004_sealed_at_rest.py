"""Sealed at rest: message texts, deliveries, failed updates, appointment context, kept
secrets and people's Telegram ids are encrypted; people are found by a keyed hash of their id.

The rows already there are sealed (or, going down, opened) here, with the keys of the
engine the migration runs on (``veil db upgrade`` and ``veil run`` give them).

Revision ID: veil_0004
Revises: veil_0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from veil.store.crypto import Keyring
from veil.store.sealing import Unsealed, keyring_of_connection

revision = "veil_0004"
down_revision = "veil_0003"
branch_labels = None
depends_on = None

# Columns whose values are sealed in place (the type stays text).
TEXTS = [
    ("support_messages", "text", "id"),
    ("support_processed_updates", "payload", "update_id"),
    ("support_state", "value", "key"),
]
# JSON columns that become sealed text.
JSONS = [("support_outbox", "delivery", False), ("support_tickets", "about", True)]


def _keyring() -> Keyring:
    try:
        return keyring_of_connection(op.get_bind())
    except Unsealed:
        raise RuntimeError(
            "migration veil_0004 seals the rows already stored and needs the encryption "
            "keys: run it with `veil db upgrade`, which reads VEIL_ENCRYPTION_KEYS"
        ) from None


def _rewrite(table: str, column: str, change: Callable[[str], str], key: str = "id") -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL")
    ).all()
    for row_key, value in rows:
        conn.execute(
            sa.text(f"UPDATE {table} SET {column} = :value WHERE {key} = :key"),
            {"value": change(str(value)), "key": row_key},
        )


def upgrade() -> None:
    keys: Keyring | None = None

    def seal(value: str) -> str:
        nonlocal keys
        keys = keys or _keyring()
        return keys.seal(value)

    with op.batch_alter_table("support_people") as batch:
        batch.add_column(sa.Column("telegram_key", sa.String(64), nullable=True))
        batch.drop_constraint("uq_support_people_telegram_id", type_="unique")
        batch.alter_column(
            "telegram_id",
            type_=sa.Text(),
            existing_type=sa.BigInteger(),
            nullable=True,
            postgresql_using="telegram_id::text",
        )
    conn = op.get_bind()
    for person_id, telegram_id in conn.execute(
        sa.text("SELECT id, telegram_id FROM support_people")
    ).all():
        keys = keys or _keyring()
        conn.execute(
            sa.text(
                "UPDATE support_people SET telegram_id = :sealed, telegram_key = :key "
                "WHERE id = :id"
            ),
            {
                "sealed": keys.seal(str(telegram_id)),
                "key": keys.lookup(int(telegram_id)),
                "id": person_id,
            },
        )
    with op.batch_alter_table("support_people") as batch:
        batch.alter_column("telegram_key", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_support_people_telegram_key", ["telegram_key"])

    for table, column, nullable in JSONS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                type_=sa.Text(),
                existing_type=sa.JSON(),
                existing_nullable=nullable,
                postgresql_using=f"{column}::text",
            )
        _rewrite(table, column, seal)
    for table, column, key in TEXTS:
        _rewrite(table, column, seal, key)


def downgrade() -> None:
    keys: Keyring | None = None

    def unseal(value: str) -> str:
        nonlocal keys
        keys = keys or _keyring()
        return keys.open(value)

    for table, column, key in TEXTS:
        _rewrite(table, column, unseal, key)
    for table, column, nullable in JSONS:
        _rewrite(table, column, unseal)
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                type_=sa.JSON(),
                existing_type=sa.Text(),
                existing_nullable=nullable,
                postgresql_using=f"{column}::json",
            )
    erased = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM support_people WHERE telegram_id IS NULL"))
        .scalar_one()
    )
    if erased:
        # The older layout needs every person's id; these were erased at their request.
        raise RuntimeError(
            f"{erased} people were forgotten (/forget_me): cannot go below veil_0004"
        )
    _rewrite("support_people", "telegram_id", unseal)
    with op.batch_alter_table("support_people") as batch:
        batch.drop_constraint("uq_support_people_telegram_key", type_="unique")
        batch.drop_column("telegram_key")
        batch.alter_column(
            "telegram_id",
            type_=sa.BigInteger(),
            existing_type=sa.Text(),
            nullable=False,
            postgresql_using="telegram_id::bigint",
        )
        batch.create_unique_constraint("uq_support_people_telegram_id", ["telegram_id"])
