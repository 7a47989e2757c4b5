"""Who a Telegram user is in the host bot's own records: read, never written.

A scheduler that embeds Veil keeps its people in a table of its own (usually ``users``,
with a role column of ``client``, ``provider``, ``admin`` or ``support_agent``). Veil reads
that row in the same transaction as the rest of an update, through a mapping the operator
sets (table, columns, role values), and keeps its own facts in ``support_people``. Veil
never issues anything but a SELECT against the host's table.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, column, select, table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnClause

from veil.config import Settings
from veil.domain.model import Role

log = logging.getLogger(__name__)


class HostTableUnreadable(Exception):
    """The configured users table or one of its columns cannot be read."""


@dataclass(frozen=True)
class HostPerson:
    """What the host says of someone: their role there, and their language if it keeps one."""

    role: Role
    language: str | None


@dataclass
class HostUsersTable:
    """A read-only mapping onto the host's users table.

    ``roles`` maps the host's role values to Veil's roles; a value not in it counts as
    the least privilege (a client) and is logged once per value, so a host that adds a
    role of its own (``staff``) is served, not crashed.
    """

    name: str
    telegram_id_column: str = "telegram_id"
    role_column: str = "role"
    language_column: str | None = None
    roles: Mapping[str, Role] = field(default_factory=lambda: {r.value: r for r in Role})
    _unknown: set[str] = field(default_factory=set, repr=False)

    def _query(self, telegram_id: int) -> Select[Any]:
        schema, _, name = self.name.rpartition(".")
        columns: list[ColumnClause[Any]] = [
            column(self.telegram_id_column),
            column(self.role_column),
        ]
        if self.language_column:
            columns.append(column(self.language_column))
        host = table(name, *columns, schema=schema or None)
        return select(*host.c).where(host.c[self.telegram_id_column] == telegram_id)

    async def lookup(self, session: AsyncSession, telegram_id: int) -> HostPerson | None:
        row = (await session.execute(self._query(telegram_id))).first()
        if row is None:
            return None
        language = row[2] if self.language_column else None
        return HostPerson(self.role_of(row[1]), str(language) if language else None)

    async def check(self, session: AsyncSession) -> None:
        """Fail at start, not on every update, when the mapping names what is not there."""
        try:
            await session.execute(self._query(0))
        except DBAPIError as exc:
            raise HostTableUnreadable(
                f"cannot read {self.name}({self.telegram_id_column}, {self.role_column}"
                f"{', ' + self.language_column if self.language_column else ''}): "
                f"{str(exc.orig).splitlines()[0][:200]}"
            ) from None

    def role_of(self, value: object) -> Role:
        text = "" if value is None else str(value)
        role = self.roles.get(text)
        if role is not None:
            return role
        if text not in self._unknown:
            self._unknown.add(text)
            log.warning(
                "the host's role %r is not one Veil knows; it counts as a client "
                "(map it with VEIL_HOST_ROLES)",
                text[:64],
            )
        return Role.CLIENT


def host_users_of(settings: Settings) -> HostUsersTable | None:
    """The mapping onto the host's users table, when the settings name one."""
    if settings.host_users_table is None:
        return None
    return HostUsersTable(
        settings.host_users_table,
        telegram_id_column=settings.host_users_telegram_id_column,
        role_column=settings.host_users_role_column,
        language_column=settings.host_users_language_column,
        roles=dict(settings.host_roles),
    )
