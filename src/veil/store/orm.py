"""Classical (imperative) mapping: the domain's dataclasses stay free of SQLAlchemy."""

from __future__ import annotations

from sqlalchemy.orm import registry

from veil.domain.model import SupportMessage, Ticket, User
from veil.store.tables import support_messages, support_tickets, users

mapper_registry = registry()
_mapped = False


def start_mappers() -> None:
    """Map the domain classes once per process (mapping twice is an error)."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(User, users)
    mapper_registry.map_imperatively(Ticket, support_tickets)
    mapper_registry.map_imperatively(SupportMessage, support_messages)
    _mapped = True
