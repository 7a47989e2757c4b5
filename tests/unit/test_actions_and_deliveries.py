"""Button payloads from outside, and deliveries stored in the outbox."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veil.services import actions
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

TICKET = "SUPP-1764061200-ABC123"


@pytest.mark.parametrize("name", ["end_chat", "transcript", "close_ticket"])
def test_payloads_round_trip_and_fit_telegram(name: str) -> None:
    data = actions.encode(name, TICKET)
    assert len(data.encode()) <= 64
    assert actions.parse(data) == actions.Action(name, TICKET)


def test_appointment_and_offer_payloads_round_trip_and_fit_telegram() -> None:
    about = actions.open_about("b" * 40)
    assert len(about.encode()) <= 64
    assert actions.parse(about) == actions.Action("open_support", about="b" * 40)
    for name in ("propose_offer", "accept_offer", "decline_offer"):
        data = actions.offer_button(name, 10**17)
        assert len(data.encode()) <= 64
        assert actions.parse(data) == actions.Action(name, offer=10**17)
    with pytest.raises(ValueError):
        actions.open_about("a b")


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "sup:open:",
        "sup:open:bad ref!",
        "sup:open:" + "a" * 41,
        "ofr:y:",
        "ofr:y:12x",
        "ofr:p:²",
        "ofr:n:" + "9" * 19,
        "sup:end:",
        "sup:end:SUPP-1-ABC123",
        "tk:SUPP-1764061200-abc123",
        "desk:close:SUPP-1764061200-ABC123;DROP",
        "desk:close:" + "A" * 80,
        "admin:ban:SUPP-1764061200-ABC123",
    ],
)
def test_forged_payloads_are_rejected(data: str | None) -> None:
    assert actions.parse(data) is None


@given(
    st.one_of(
        st.text(max_size=100),
        st.from_regex(r"(sup:end|tk|desk:close):SUPP-\d{10}-\w{6}"),
        st.from_regex(r"sup:open:[\w-]{0,45}"),
        st.from_regex(r"ofr:[pyn]:\d{0,20}"),
    )
)
def test_the_parser_accepts_exactly_what_the_encoder_writes(data: str) -> None:
    parsed = actions.parse(data)
    if parsed is None:
        return
    if parsed.offer is not None:
        assert actions.offer_button(parsed.name, parsed.offer) == data
    elif parsed.about is not None:
        assert actions.open_about(parsed.about) == data
    elif parsed.ticket is None:
        assert data == actions.OPEN_SUPPORT
    else:
        assert actions.encode(parsed.name, parsed.ticket) == data


@pytest.mark.parametrize(
    "delivery",
    [
        SendText(
            UserChat(3),
            "hi",
            ({"type": "bold", "offset": 0, "length": 2},),
            ((Button("Go", "sup:open"),),),
            reply_to_record=4,
            record=5,
        ),
        CopyContent(TicketTopic(9), UserChat(3), 12, caption="c", has_caption=True, record=1),
        EditContent(UserChat(3), 7, "new", is_caption=True),
        OpenTopic(9),
        AnswerCallback("q1", "done", alert=True),
        SendText(RawChat(-100, 5), "desk"),
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
