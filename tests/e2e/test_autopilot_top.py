"""A missed first response at L3, with the bot as a real process: nobody is higher, so
the admins are alerted instead of an escalation."""

from __future__ import annotations

import pytest

from tests.e2e.team import Team

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

BOT_SETTINGS = {
    # Long enough for an admin to escalate twice first, on a busy machine too.
    "VEIL_SLA_FIRST_RESPONSE": "urgent=8,high=8,normal=8,low=8",
    "VEIL_AUTOPILOT_SECONDS": "0.2",
}


async def test_a_missed_first_response_at_l3_alerts_the_admins(team: Team) -> None:
    admin = team.world.admin
    _, desk = team.client("Top")
    ticket, topic = await desk.open_ticket()
    for level in ("L2", "L3"):
        team.tg.send_text(admin.id, desk.chat_id, "/escalate hard one", thread_id=topic)
        await desk.desk_gets(f"Escalated to {level}", topic)
    await desk.desk_gets("was missed", topic)
    alert = await desk.client_gets("no higher level to escalate to", admin)
    assert ticket in alert["text"]
    assert not any("Escalated to L4" in t for t in desk.bot_texts(desk.chat_id, topic))
