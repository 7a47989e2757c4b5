"""The pure rules: ids, aliases, the ticket life cycle, what may cross to the other side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FakeClock
from veil.domain.content import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Handling,
    handling_of,
    safe_entities,
    split_text,
)
from veil.domain.ids import client_alias, is_ticket_id, new_ticket_id
from veil.domain.model import ClosedBy, Ticket, TicketError, TicketStatus


def _ticket(clock: FakeClock) -> Ticket:
    return Ticket("SUPP-1764061200-ABC123", 1, clock(), clock(), -100)


def test_ticket_id_carries_unix_seconds_and_the_random_part() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    ticket_id = new_ticket_id(now, "X1Y2Z3")
    assert ticket_id == f"SUPP-{int(now.timestamp())}-X1Y2Z3"
    assert is_ticket_id(ticket_id)


@pytest.mark.parametrize("suffix", ["", "abc123", "ABC12", "ABC1234", "ABC-12"])
def test_ticket_id_refuses_a_malformed_random_part(suffix: str) -> None:
    with pytest.raises(ValueError):
        new_ticket_id(datetime(2026, 1, 1, tzinfo=UTC), suffix)


@pytest.mark.parametrize(
    "text",
    [
        "SUPP-1-ABC123",
        "supp-1764061200-ABC123",
        "SUPP-1764061200-ABC12",
        "SUPP-x-ABC123",
        "SUPP-1764061200-ABC123 ",
        "SUPP-1764061200-ABC123:close",
    ],
)
def test_lookalike_ticket_ids_are_not_ticket_ids(text: str) -> None:
    assert not is_ticket_id(text)


def test_agents_see_the_client_as_a_pseudonym() -> None:
    assert client_alias("SUPP-1764061200-ABC123") == "User-SUPP-1764061200-ABC123"


def test_a_ticket_counts_its_messages_and_notes_activity(clock: FakeClock) -> None:
    ticket = _ticket(clock)
    clock.advance(minutes=3)
    assert [ticket.next_seq(clock()), ticket.next_seq(clock())] == [1, 2]
    assert ticket.last_activity_at == clock()


def test_first_response_is_the_first_answer_only(clock: FakeClock) -> None:
    ticket = _ticket(clock)
    assert ticket.status is TicketStatus.NEW
    clock.advance(minutes=5)
    first = clock()
    ticket.agent_answered(first)
    clock.advance(minutes=5)
    ticket.agent_answered(clock())
    assert ticket.status is TicketStatus.OPEN
    assert ticket.first_response_at == first


def test_a_closed_ticket_takes_nothing_more(clock: FakeClock) -> None:
    ticket = _ticket(clock)
    clock.advance(hours=1)
    ticket.close(ClosedBy.CLIENT, clock())
    assert ticket.is_closed and ticket.closed_at == clock() and ticket.closed_by is ClosedBy.CLIENT
    for action in (
        lambda: ticket.close(ClosedBy.AGENT, clock()),
        lambda: ticket.next_seq(clock()),
        lambda: ticket.agent_answered(clock()),
    ):
        with pytest.raises(TicketError, match="closed"):
            action()
    assert ticket.closed_by is ClosedBy.CLIENT


@pytest.mark.parametrize(
    ("kind", "handling"),
    [
        ("text", Handling.RELAY),
        ("photo", Handling.RELAY),
        ("voice", Handling.RELAY),
        ("sticker", Handling.RELAY),
        ("location", Handling.RELAY),
        ("contact", Handling.WITHHOLD),
        ("poll", Handling.REFUSE),
        ("dice", Handling.REFUSE),
        ("game", Handling.REFUSE),
        ("something_new", Handling.REFUSE),
        ("forum_topic_created", Handling.IGNORE),
    ],
)
def test_what_each_kind_of_message_becomes(kind: str, handling: Handling) -> None:
    assert handling_of(kind) is handling


def test_entities_that_embed_a_person_are_dropped() -> None:
    entities = [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "text_mention", "offset": 5, "length": 3, "user": {"id": 7, "first_name": "Al"}},
        {"type": "url", "offset": 9, "length": 10},
    ]
    assert [e["type"] for e in safe_entities(entities)] == ["bold", "url"]
    assert safe_entities(None) == []


def test_short_text_is_left_whole() -> None:
    assert split_text("hello") == ["hello"]
    assert split_text("") == [""]


@given(st.text(alphabet=st.sampled_from("ab \n"), min_size=0, max_size=20_000))
def test_split_text_keeps_every_word_and_respects_the_limit(text: str) -> None:
    parts = split_text(text)
    assert all(len(p) <= TEXT_LIMIT for p in parts)
    assert "".join(text.split()) == "".join("".join(parts).split())


def test_split_text_cuts_hard_when_there_is_no_break() -> None:
    parts = split_text("x" * (2 * CAPTION_LIMIT + 1), limit=CAPTION_LIMIT)
    assert [len(p) for p in parts] == [CAPTION_LIMIT, CAPTION_LIMIT, 1]


def test_readable_durations() -> None:
    from veil.domain import metrics

    assert metrics.humanise(timedelta(minutes=40)) == "40 min"
    assert metrics.humanise(timedelta(hours=2, minutes=5)) == "2 h 05 min"
    assert metrics.humanise(timedelta(seconds=42)) == "42 s"
    assert metrics.humanise(timedelta(hours=24)) == "24 h"
    assert metrics.humanise(None) == "—"
