"""The desk watched over time, with short durations: offline owners, long queues."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.team import Team

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

BOT_SETTINGS = {
    "VEIL_OFFLINE_GRACE_SECONDS": "1",
    "VEIL_QUEUE_ALERT_SECONDS": "2",
    "VEIL_WATCH_INTERVAL": "0.3",
}


async def test_an_offline_agents_tickets_go_to_someone_online(team: Team) -> None:
    leaving, leaving_alias = await team.invite("L1", "Leo")
    staying, staying_alias = await team.invite("L1", "Sta")
    await team.go_online(leaving)
    _, desk = team.client("Left")
    _, topic = await desk.open_ticket()
    await desk.desk_gets(f"Assigned to {leaving_alias}", topic)
    await team.say(leaving, "/offline", "You are offline")
    team.online.remove(leaving)
    await team.go_online(staying)
    await desk.desk_gets(f"{leaving_alias} has been offline too long", topic)
    await desk.desk_gets(f"Assigned to {staying_alias}", topic)


async def test_a_long_wait_raises_one_alert_and_pings_away_agents(team: Team) -> None:
    away, _ = await team.invite("L1", "Awa")
    await team.say(away, "/away", "You are away")
    for name in ("Wait", "Wait"):
        _, desk = team.client(name)
        await desk.open_ticket()
    general = team.world.desk_id
    await desk.until(
        lambda: any("waited more than the target" in t for t in desk.bot_texts(general, None)),
        "one alert in the desk's General topic",
    )
    await desk.client_gets("queue needs help", away)
    await asyncio.sleep(1)  # several watch passes later, still one alert and one ping
    assert sum("queue needs help" in t for t in desk.bot_texts(away.id)) == 1
    alerts = [t for t in desk.bot_texts(general, None) if "waited more than" in t]
    assert len(alerts) == 1
