"""Who may do what: the one rule of every command and button, judged for every role."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veil.domain.model import Level
from veil.domain.permissions import (
    Act,
    Need,
    Person,
    Refusal,
    Standing,
    TicketView,
    judge,
)

CLIENT = Person(Standing.CLIENT, user_id=1)
L1 = Person(Standing.AGENT, user_id=11, level=Level.L1)
L1_OTHER = Person(Standing.AGENT, user_id=12, level=Level.L1)
L2 = Person(Standing.AGENT, user_id=21, level=Level.L2)
L3 = Person(Standing.AGENT, user_id=31, level=Level.L3)
ADMIN = Person(Standing.ADMIN, user_id=99)
FORMER_AGENT = Person(Standing.CLIENT, user_id=13, level=Level.L1)

OWNED_BY_L1 = TicketView(client_id=1, required_level=Level.L1, owner_id=11, owner_level=Level.L1)
UNOWNED_L2 = TicketView(client_id=1, required_level=Level.L2)
OWNER_GONE = TicketView(client_id=1, required_level=Level.L1, owner_id=50)

ADMIN_ACTS = [a for a in Act if a.rule.least is Standing.ADMIN]
AGENT_ACTS = [a for a in Act if a.rule.least is Standing.AGENT]


def test_every_privileged_command_is_declared() -> None:
    """The admin commands DESIGN.md names, and the agents' ones, each with a rule."""
    assert {a.label for a in ADMIN_ACTS} >= {
        "/invite_agent",
        "/agents",
        "/ban",
        "/unban",
        "/allow",
        "/remove_agent",
        "/remove_member",
    }
    assert {Act.ONLINE, Act.QUEUE, Act.STATS, Act.CLOSE, Act.TAKE, Act.ANSWER} <= set(AGENT_ACTS)


@pytest.mark.parametrize("act", ADMIN_ACTS, ids=lambda a: a.name)
@pytest.mark.parametrize("person", [CLIENT, L1, L3, FORMER_AGENT], ids=str)
def test_admin_acts_are_refused_to_everyone_below(act: Act, person: Person) -> None:
    assert judge(act.rule, person, OWNED_BY_L1) is Refusal.NOT_AN_ADMIN
    assert judge(act.rule, ADMIN, OWNED_BY_L1) is None


@pytest.mark.parametrize("act", AGENT_ACTS, ids=lambda a: a.name)
def test_agent_acts_are_refused_to_clients(act: Act) -> None:
    assert judge(act.rule, CLIENT, OWNED_BY_L1) is Refusal.NOT_AN_AGENT
    assert judge(act.rule, FORMER_AGENT, OWNED_BY_L1) is Refusal.NOT_AN_AGENT


@pytest.mark.parametrize(
    ("person", "ticket", "expected"),
    [
        (L1, OWNED_BY_L1, None),  # the owner
        (L1_OTHER, OWNED_BY_L1, Refusal.NOT_THEIRS_TO_WORK),  # a peer
        (L2, OWNED_BY_L1, None),  # above the owner
        (ADMIN, OWNED_BY_L1, None),
        (L1, UNOWNED_L2, Refusal.NOT_THEIRS_TO_WORK),  # below the ticket's level
        (L2, UNOWNED_L2, None),
        (L1_OTHER, OWNER_GONE, None),  # the owner's record is gone: anyone who may answer
        (CLIENT, OWNED_BY_L1, Refusal.NOT_AN_AGENT),
    ],
)
def test_who_may_work_a_ticket(person: Person, ticket: TicketView, expected: Refusal) -> None:
    assert judge(Act.ANSWER.rule, person, ticket) is expected


def test_taking_needs_the_tickets_level_not_ownership() -> None:
    assert judge(Act.TAKE.rule, L1_OTHER, OWNED_BY_L1) is None
    assert judge(Act.TAKE.rule, L1, UNOWNED_L2) is Refusal.LEVEL_TOO_LOW
    assert judge(Act.TAKE.rule, ADMIN, UNOWNED_L2) is None


def test_a_clients_own_ticket() -> None:
    someone_else = Person(Standing.CLIENT, user_id=2)
    assert judge(Act.TRANSCRIPT.rule, CLIENT, OWNED_BY_L1) is None
    assert judge(Act.TRANSCRIPT.rule, someone_else, OWNED_BY_L1) is Refusal.NOT_THEIR_TICKET
    assert judge(Act.ANSWER_OFFER.rule, ADMIN, OWNED_BY_L1) is Refusal.NOT_THEIR_TICKET


def test_erasing_oneself_is_for_clients_only() -> None:
    assert judge(Act.FORGET_ME.rule, CLIENT) is None
    for staff in (L1, ADMIN, FORMER_AGENT):
        assert judge(Act.FORGET_ME.rule, staff) is Refusal.STAFF


def test_an_act_about_a_ticket_where_there_is_none_is_left_to_the_act() -> None:
    """A desk command in the General topic: no ticket to judge; the act says so itself."""
    assert judge(Act.CLOSE.rule, CLIENT, None) is None
    assert judge(Act.BAN.rule, CLIENT, None) is Refusal.NOT_AN_ADMIN


people = st.builds(
    Person,
    st.sampled_from(Standing),
    st.integers(1, 5),
    st.one_of(st.none(), st.sampled_from(Level)),
)
tickets = st.builds(
    TicketView,
    st.integers(1, 5),
    st.sampled_from(Level),
    st.one_of(st.none(), st.integers(1, 5)),
    st.one_of(st.none(), st.sampled_from(Level)),
)


@given(st.sampled_from(Act), people, tickets)
def test_standing_only_ever_helps(act: Act, person: Person, ticket: TicketView) -> None:
    """Whatever a client may do, an agent may; whatever an agent may, an admin may (but
    erasing oneself, for clients only, and a client's own ticket, theirs alone)."""
    if act.rule.clients_only or act.rule.need is Need.OWN_TICKET:
        return
    if judge(act.rule, person, ticket) is None:
        for higher in Standing:
            if higher > person.standing:
                promoted = Person(higher, person.user_id, person.level or Level.L3)
                assert judge(act.rule, promoted, ticket) is None
