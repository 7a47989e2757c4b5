"""The ticket lifecycle on autopilot, with the bot as a real process and short
durations: the SLA warning and breach, escalation on a missed first response, and
auto-close with its warning."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.harness import Desk
from tests.e2e.team import Team

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

BOT_SETTINGS = {
    # First response: 3 s at normal priority, the owner warned at half of it.
    "VEIL_SLA_FIRST_RESPONSE": "urgent=2,high=2,normal=3,low=4",
    "VEIL_SLA_WARN_AT": "0.5",
    "VEIL_AUTO_CLOSE_SECONDS": "8",
    "VEIL_AUTO_CLOSE_WARNING_SECONDS": "4",
    "VEIL_AUTOPILOT_SECONDS": "0.2",
}


async def test_a_missed_first_response_warns_then_escalates_to_the_next_level(
    team: Team,
) -> None:
    junior, junior_alias = await team.invite("L1", "Jun")
    expert, expert_alias = await team.invite("L2", "Sen")
    await team.go_online(junior)
    client, desk = team.client("Slow")
    _, topic = await desk.open_ticket()
    await desk.desk_gets(f"Assigned to {junior_alias}", topic)
    warning = await desk.desk_gets("first response target", topic)
    assert junior_alias in warning["text"] and "runs out in" in warning["text"]
    await desk.desk_gets("was missed", topic)
    card = _card_text(team, desk, topic)
    await desk.until(
        lambda: "Escalated: the first response target" in card(), "the reason on the card"
    )
    # L1 may not keep an L2 ticket: it waits for the expert, who is told why it came up.
    team.tg.send_text(client.id, client.id, "is anyone there?")
    await desk.desk_gets("is anyone there?", topic)
    await team.go_online(expert)
    await desk.desk_gets(f"Assigned to {expert_alias}", topic)
    await desk.until(
        lambda: any("escalated to you" in t for t in desk.bot_texts(expert.id)),
        "the expert's briefing",
    )
    (briefing,) = [t for t in desk.bot_texts(expert.id) if "escalated to you" in t]
    assert "first response target (3 s) was missed" in briefing
    assert sum("was missed" in t for t in desk.bot_texts(desk.chat_id, topic)) == 1


async def test_a_silent_ticket_is_warned_then_closed_and_the_client_told_how_to_return(
    team: Team,
) -> None:
    _, desk = team.client("Quiet")
    ticket, topic = await desk.open_ticket()
    # Answered: the ticket now waits for its client (one waiting for the desk never
    # closes for silence).
    team.tg.send_text(team.world.admin.id, desk.chat_id, "anything else?", thread_id=topic)
    await desk.client_gets("anything else?")
    warning = await desk.client_gets("will close in")
    assert ticket in warning["text"]
    closing = await desk.client_gets("without messages")
    assert ticket in closing["text"] and "within 48 h" in closing["text"]
    await desk.desk_gets("Closed automatically after 8 s without messages", topic)
    await desk.until(lambda: team.tg.topics(desk.chat_id)[topic]["closed"], "the topic closed")


def _card_text(team: Team, desk: Desk, topic: int) -> Callable[[], str]:
    """The ticket card as it reads now (it is edited in place)."""
    card = next(m for m in team.tg.bot_messages(desk.chat_id, topic) if "🎫" in m.get("text", ""))
    return lambda: str(team.tg.message(desk.chat_id, card["message_id"])["text"])
