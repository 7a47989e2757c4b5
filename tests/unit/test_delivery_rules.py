"""Rules of delivery: bundling texts, what goes in one call, flood keys, desk groups."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from veil.domain.bundling import BOUNDARY, Piece, bundle
from veil.domain.model import Level
from veil.domain.text import utf16_len
from veil.services.deliveries import CopyContent, SendText, TicketTopic, UserChat
from veil.services.desks import DeskGroup, Desks, parse_desks
from veil.services.ports import PendingDelivery
from veil.telegram.sender import Batch, album_run, text_run


def test_texts_are_joined_in_order_with_the_boundary_marked() -> None:
    made = bundle([Piece("hi"), Piece("are you there?"), Piece("hello??")])
    assert made.count == 3
    assert made.text == f"hi{BOUNDARY}are you there?{BOUNDARY}hello??"


def test_entities_move_with_their_text_counted_in_utf16() -> None:
    bold = {"type": "bold", "offset": 0, "length": 4}
    made = bundle([Piece("🙂🙂"), Piece("help", (bold,))])
    (moved,) = made.entities
    start = moved["offset"]
    # Telegram counts offsets in UTF-16 units: each emoji is two of them.
    assert start == 4 + utf16_len(BOUNDARY)
    as_utf16 = made.text.encode("utf-16-le")
    assert as_utf16[start * 2 : (start + 4) * 2].decode("utf-16-le") == "help"


def test_a_bundle_stops_before_the_limit_and_the_first_always_goes() -> None:
    assert bundle([Piece("x" * 50), Piece("y" * 10)], limit=40).count == 1
    made = bundle([Piece("a" * 10), Piece("b" * 10), Piece("c" * 10)], limit=30)
    assert made.count == 2 and utf16_len(made.text) <= 30


@given(st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=40))
def test_a_bundle_never_outgrows_the_limit_nor_loses_text(texts: list[str]) -> None:
    made = bundle([Piece(t) for t in texts], limit=1000)
    assert made.count >= 1
    if made.count > 1:
        assert utf16_len(made.text) <= 1000
    assert made.text == BOUNDARY.join(texts[: made.count])


@given(st.lists(st.text(min_size=1, max_size=300), max_size=40), st.integers(50, 600))
def test_bundling_the_rest_again_and_again_sends_every_text_once_in_order(
    texts: list[str], limit: int
) -> None:
    sent: list[str] = []
    rest = [Piece(t) for t in texts]
    while rest:
        made = bundle(rest, limit)
        assert made.count == 1 or utf16_len(made.text) <= limit
        sent += [p.text for p in rest[: made.count]]
        rest = rest[made.count :]
    assert sent == texts


def _row(n: int, delivery: object) -> PendingDelivery:
    return PendingDelivery(n, "topic:1", delivery, 0)  # type: ignore[arg-type]


def test_only_a_clients_plain_texts_run_together() -> None:
    to = TicketTopic(1)
    head = _row(1, SendText(to, "a", record=1))
    rows = [
        _row(2, SendText(to, "b", record=2)),
        _row(3, SendText(to, "c", record=3, reply_to_record=1)),  # a reply keeps its place
        _row(4, SendText(to, "d", record=4)),
    ]
    assert [r.id for r in text_run(head, rows)] == [1, 2]
    system = [_row(2, SendText(to, "agent joined"))]  # no record: not the client's words
    assert [r.id for r in text_run(head, system)] == [1]


def test_a_text_run_stops_where_one_message_is_full() -> None:
    # Every row of a batch is marked sent with the bundle: a text left out of the
    # bundle but kept in the run would be lost (the bench found this).
    to = TicketTopic(1)
    head = _row(1, SendText(to, "short", record=1))
    rows = [
        _row(2, SendText(to, "also short", record=2)),
        _row(3, SendText(to, "x" * 4080, record=3)),
        _row(4, SendText(to, "after", record=4)),
    ]
    assert [r.id for r in text_run(head, rows)] == [1, 2]
    many = [_row(n, SendText(to, "y" * 300, record=n)) for n in range(2, 40)]
    run = text_run(head, many)
    assert 1 < len(run) < 39
    assert utf16_len(BOUNDARY.join(r.delivery.text for r in run)) <= 4096  # type: ignore[union-attr]


def test_an_album_runs_together_only_when_a_plain_copy_is_faithful() -> None:
    to, source = TicketTopic(1), UserChat(9)

    def item(n: int, *, album: str = "g1", verbatim: bool = True) -> PendingDelivery:
        copy = CopyContent(to, source, 100 + n, record=n, album=album, verbatim=verbatim)
        return _row(n, copy)

    rows = [item(2), item(3), item(4, album="g2")]
    run = album_run(item(1), rows)
    assert [r.id for r in run] == [1, 2, 3]
    assert Batch(run).messages == 3  # an album counts as its items against the limits
    # A caption that had to be changed (a mention cut out) cannot go by plain copy.
    assert [r.id for r in album_run(item(1, verbatim=False), rows)] == [1]
    assert [r.id for r in album_run(item(1), [item(2, verbatim=False)])] == [1]


def test_desk_groups_are_parsed_and_new_tickets_go_to_the_least_busy() -> None:
    groups = parse_desks("-1001, -1002=L2+L3")
    assert groups == [DeskGroup(-1001), DeskGroup(-1002, frozenset({Level.L2, Level.L3}))]
    desks = Desks([DeskGroup(-1), DeskGroup(-2), DeskGroup(-3, frozenset({Level.L3}))])
    # -3 serves L3 only, however idle it is.
    assert desks.for_new_ticket(Level.L1, {-1: 4, -2: 3, -3: 0}) == -2
    assert desks.for_new_ticket(Level.L1, {-1: 2, -2: 3}) == -1
    only_l2 = Desks([DeskGroup(-1, frozenset({Level.L1})), DeskGroup(-2, frozenset({Level.L2}))])
    assert only_l2.for_new_ticket(Level.L2, {-2: 50}) == -2


def test_a_moved_desk_group_is_followed_through_every_move() -> None:
    desks = Desks.single(-100)
    desks.apply_moves([(-100, -200), (-200, -300)])
    assert desks.primary == -300 and desks.is_desk(-300) and not desks.is_desk(-100)
    assert desks.current(-100) == -300


def test_bad_desk_lists_are_refused_with_the_reason() -> None:
    for spec, reason in (
        ("-1,abc", "not a chat id"),
        ("123", "not a group id"),
        ("-1=L4", "L1, L2 or L3"),
        ("-1,-1", "listed twice"),
    ):
        try:
            parse_desks(spec)
        except ValueError as exc:
            assert reason in str(exc)
        else:
            raise AssertionError(f"{spec!r} was accepted")


def test_flood_keys_follow_where_a_delivery_lands() -> None:
    from veil.services.deliveries import AnswerCallback, PostCard, chat_key

    text = SendText(TicketTopic(7), "hi", record=1)
    assert chat_key(text, "topic:7", -100) == ("chat:-100", True)  # the desk group's budget
    # Worked from an agent's private chat: that chat's budget, except for the card.
    assert chat_key(text, "topic:7", -100, private_agent_id=42) == ("user:42", False)
    assert chat_key(PostCard(7), "topic:7", -100, private_agent_id=42) == ("chat:-100", True)
    assert chat_key(SendText(UserChat(5), "x"), "user:5", None) == ("user:5", False)
    assert chat_key(AnswerCallback("q"), "callback:q", None) == (None, False)  # no message


def test_an_agent_must_be_in_every_group_whose_tickets_they_may_get() -> None:
    desks = Desks(
        [DeskGroup(-1, frozenset({Level.L1})), DeskGroup(-2, frozenset({Level.L2, Level.L3}))]
    )
    assert desks.serving_up_to(Level.L1) == [-1]
    assert desks.serving_up_to(Level.L3) == [-1, -2]
    shards = Desks([DeskGroup(-1), DeskGroup(-2)])
    assert shards.serving_up_to(Level.L1) == [-1, -2]


def test_a_card_acts_only_in_the_group_its_ticket_lives_in() -> None:
    desks = Desks([DeskGroup(-1), DeskGroup(-2)])
    assert desks.holds(-2, -2) and not desks.holds(-1, -2) and not desks.holds(-3, -3)
    desks.moved(-2, -20)
    assert desks.holds(-2, -20) and desks.holds(-20, -2)
