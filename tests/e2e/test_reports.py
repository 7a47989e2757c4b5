"""Reports with the bot as a real process: /report for a range with its CSV, and the
daily digest (its time already past today) sent once to the admins."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.team import Team

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

BOT_SETTINGS = {
    "VEIL_DAILY_REPORT": "true",
    "VEIL_REPORT_TIME": "00:00",  # past already, whenever the suite runs
    "VEIL_AUTOPILOT_SECONDS": "0.2",
}


def _rows(team: Team, message: dict[str, Any]) -> list[dict[str, str]]:
    stored = team.tg.world.files.get(message["document"]["file_id"])
    assert stored is not None
    return list(csv.DictReader(io.StringIO(stored.data.decode())))


async def test_the_daily_digest_reaches_the_admins_once(team: Team) -> None:
    admin = team.world.admin
    _, desk = team.client("Digest")
    await desk.until(
        lambda: any("Daily digest" in t for t in desk.bot_texts(admin.id)), "the daily digest"
    )
    await desk.until(
        lambda: any("document" in m for m in team.tg.bot_messages(admin.id)), "its CSV"
    )
    (document,) = [m for m in team.tg.bot_messages(admin.id) if "document" in m]
    assert document["document"]["file_name"].endswith(".csv")
    assert [r["group"] for r in _rows(team, document)][:1] == ["desk"]
    await desk.open_ticket()  # the autopilot passes many times meanwhile
    assert sum("Daily digest" in t for t in desk.bot_texts(admin.id)) == 1


async def test_a_report_for_a_range_with_its_csv_in_pseudonyms(team: Team) -> None:
    admin = team.world.admin
    agent, alias = await team.invite("L1", "Rep")
    await team.go_online(agent)
    client, desk = team.client("Reported")
    ticket, topic = await desk.open_ticket()
    await desk.desk_gets(f"Assigned to {alias}", topic)
    team.tg.send_text(agent.id, desk.chat_id, "hello there", thread_id=topic)
    await desk.client_gets("hello there")
    team.tg.send_text(agent.id, desk.chat_id, "/close", thread_id=topic)
    await desk.client_gets("closed this conversation")
    seen = len(team.tg.bot_messages(admin.id))
    today = datetime.now(UTC).date()
    span = f"{(today - timedelta(days=6)).isoformat()}..{today.isoformat()}"
    await team.say(admin, f"/report {span}", "is on its way")
    await desk.until(
        lambda: any("document" in m for m in team.tg.bot_messages(admin.id)[seen:]), "the CSV"
    )
    new = team.tg.bot_messages(admin.id)[seen:]
    (text,) = [m["text"] for m in new if "Report," in m.get("text", "")]
    assert "tickets opened" in text and "First response: median" in text
    (document,) = [m for m in new if "document" in m]
    rows = {(r["group"], r["name"]): r for r in _rows(team, document)}
    assert rows[("desk", "")]["resolved_by_agent"] == "1"
    assert rows[("agent", alias)]["closed"] == "1"
    assert rows[("level", "L1")]["first_response_median_s"] != ""
    raw = team.tg.world.files.get(document["document"]["file_id"]).data.decode()  # type: ignore[union-attr]
    assert str(client.id) not in raw and "Reported" not in raw and ticket not in raw
    await team.say(admin, "/report someday", "Use /report")
