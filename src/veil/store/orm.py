"""Classical (imperative) mapping: the domain's dataclasses stay free of SQLAlchemy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, registry

from veil.domain.agents import Agent, AssignmentRecord, CannedAnswer, Invite
from veil.domain.appointments import Offer
from veil.domain.model import SupportMessage, Ticket, User
from veil.domain.ratings import Rating
from veil.domain.sla import ClockRun
from veil.store.sealing import keyring_of_connection
from veil.store.tables import (
    people,
    support_agent_assignments,
    support_agent_status,
    support_canned_answers,
    support_invites,
    support_messages,
    support_offers,
    support_ratings,
    support_sla_runs,
    support_tickets,
)

mapper_registry = registry()
_mapped = False


def start_mappers() -> None:
    """Map the domain classes once per process (mapping twice is an error)."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(
        User, people, properties={"_telegram_key": people.c.telegram_key}
    )
    event.listen(User, "before_insert", _key_the_telegram_id)
    mapper_registry.map_imperatively(Ticket, support_tickets)
    mapper_registry.map_imperatively(SupportMessage, support_messages)
    mapper_registry.map_imperatively(Agent, support_agent_status)
    mapper_registry.map_imperatively(AssignmentRecord, support_agent_assignments)
    mapper_registry.map_imperatively(Invite, support_invites)
    mapper_registry.map_imperatively(CannedAnswer, support_canned_answers)
    mapper_registry.map_imperatively(Offer, support_offers)
    mapper_registry.map_imperatively(ClockRun, support_sla_runs)
    mapper_registry.map_imperatively(Rating, support_ratings)
    _mapped = True


def _key_the_telegram_id(_mapper: Mapper[Any], connection: Connection, user: User) -> None:
    """Every person is stored with the keyed hash they are found by: set here, on the
    way to the database, so that no code path can add someone who cannot be found."""
    user._telegram_key = keyring_of_connection(connection).lookup(user.telegram_id)  # type: ignore[attr-defined]
