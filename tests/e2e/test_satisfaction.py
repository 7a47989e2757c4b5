"""Satisfaction with the bot as a real process: the client rates a closed conversation
from the buttons it was sent, with and without a comment, and only once."""

from __future__ import annotations

import pytest

from tests.e2e.harness import button
from tests.e2e.team import Team

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def test_a_rating_with_a_comment_reaches_the_topic_and_a_second_is_refused(
    team: Team,
) -> None:
    agent, alias = await team.invite("L1", "Sat")
    await team.go_online(agent)
    client, desk = team.client("Rater")
    _, topic = await desk.open_ticket()
    await desk.desk_gets(f"Assigned to {alias}", topic)
    team.tg.send_text(agent.id, desk.chat_id, "/close", thread_id=topic)
    ask = await desk.client_gets("Rate the conversation")
    four = button(ask, "4 ⭐")
    team.tg.press_button(client.id, client.id, ask["message_id"], four)
    thanks = await desk.client_gets("Thank you for rating us 4/5")
    await desk.desk_gets("⭐⭐⭐⭐ The client rated this conversation 4/5", topic)
    again = team.tg.press_button(client.id, client.id, ask["message_id"], button(ask, "1 ⭐"))
    await desk.until(lambda: again in team.tg.callback_answers, "the second press answered")
    assert "already rated" in (team.tg.callback_answers[again].get("text") or "")
    comment = button(thanks, "Add a comment")
    team.tg.press_button(client.id, client.id, thanks["message_id"], comment)
    await desk.client_gets("Write your comment")
    team.tg.send_text(client.id, client.id, "quick and kind, thanks")
    await desk.client_gets("your comment has been passed on")
    shown = await desk.desk_gets("quick and kind, thanks", topic)
    assert "Rater" not in shown["text"]
    assert sum("rated this conversation" in t for t in desk.bot_texts(desk.chat_id, topic)) == 1


async def test_a_rating_without_a_comment(team: Team) -> None:
    client, desk = team.client("Brief")
    _, topic = await desk.open_ticket()
    team.tg.send_text(client.id, client.id, "/end")
    ask = await desk.client_gets("Rate the conversation")
    team.tg.press_button(client.id, client.id, ask["message_id"], button(ask, "2 ⭐"))
    await desk.client_gets("Thank you for rating us 2/5")
    await desk.desk_gets("⭐⭐ The client rated this conversation 2/5", topic)


async def test_the_admin_sees_the_desks_figures_with_the_ratings(team: Team) -> None:
    stats = await team.say(team.world.admin, "/stats today", "The desk")
    text = stats["text"]
    assert "CSAT: 50 % (average 3.0, 2 ratings" in text  # a 4 and a 2
    assert "Closed: 2 (resolved by an agent 50 %" in text  # one by the agent, one /end
    assert "• Agent-" in text  # the owner's line, under their alias
    refused = await team.say(team.world.admin, "/stats last year", "Use /stats")
    assert "/stats 2026-12-01..2026-12-07" in refused["text"]
