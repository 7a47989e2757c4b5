"""Deliveries stored in the outbox, buttons and all."""

from __future__ import annotations

import pytest

from veil.services.deliveries import (
    AnswerCallback,
    Button,
    CarryOut,
    CopyContent,
    EditContent,
    OpenTopic,
    RawChat,
    SendText,
    TicketTopic,
    UserChat,
    decode,
    encode,
    lane_of,
)
from veil.services.presses import (
    AnswerOffer,
    ConfirmForget,
    EndChat,
    OpenSupport,
    SendCanned,
    TakeTicket,
)


@pytest.mark.parametrize(
    "delivery",
    [
        SendText(
            UserChat(3),
            "hi",
            ({"type": "bold", "offset": 0, "length": 2},),
            ((Button("Go", OpenSupport()), Button("End", EndChat("SUPP-1764061200-ABC123"))),),
            reply_to_record=4,
            record=5,
        ),
        CopyContent(TicketTopic(9), UserChat(3), 12, caption="c", has_caption=True, record=1),
        EditContent(UserChat(3), 7, "new", is_caption=True),
        OpenTopic(9),
        AnswerCallback("q1", "done", alert=True),
        SendText(RawChat(-100, 5), "desk"),
        SendText(
            RawChat(-100, 5),
            "card",
            buttons=(
                (Button("Take", TakeTicket("SUPP-1764061200-ABC123")), Button("N", SendCanned(3))),
                (Button("Yes", AnswerOffer(4, accept=True)), Button("Ok", ConfirmForget())),
            ),
        ),
        CarryOut(17),
    ],
)
def test_deliveries_survive_the_outbox(delivery: object) -> None:
    assert decode(encode(delivery)) == delivery  # type: ignore[arg-type]


def test_a_tickets_topic_work_shares_one_lane() -> None:
    lanes = {
        lane_of(OpenTopic(9)),
        lane_of(SendText(TicketTopic(9), "x")),
        lane_of(CopyContent(TicketTopic(9), UserChat(1), 2)),
    }
    assert lanes == {"topic:9"}
    assert lane_of(SendText(UserChat(1), "x")) != lane_of(SendText(TicketTopic(1), "x"))


def test_buttons_kept_before_presses_were_typed_are_still_sent() -> None:
    """An outbox row written by the previous version holds callback data as a string."""
    body = encode(SendText(UserChat(3), "hi"))
    body["buttons"] = [
        [{"text": "End", "data": "sup:end:SUPP-1764061200-ABC123"}, {"text": "?", "data": "x:y"}],
        [{"text": "Yes", "data": "ofr:y:12"}, {"text": "Go", "data": "sup:open:b1"}],
    ]
    sent = decode(body)
    assert isinstance(sent, SendText)
    assert sent.buttons == (
        (Button("End", EndChat("SUPP-1764061200-ABC123")),),  # an unreadable one is left out
        (Button("Yes", AnswerOffer(12, accept=True)), Button("Go", OpenSupport("b1"))),
    )


def test_a_long_callback_id_still_has_a_lane_the_outbox_can_keep() -> None:
    from veil.services.deliveries import LANE_LIMIT, AnswerCallback, lane_of

    long_a, long_b = "q" * 300, "q" * 299 + "r"
    lanes = {lane_of(AnswerCallback(q, None)) for q in (long_a, long_b, "4221")}
    assert all(len(lane) <= LANE_LIMIT for lane in lanes) and len(lanes) == 3
    assert lane_of(AnswerCallback("4221", None)) == "callback:4221"
