"""Agents at work: invites, availability, routing, the queue, hand-overs, ownership."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.harness import Desk, button
from tests.e2e.team import Team

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def test_an_invite_link_makes_an_agent_once(team: Team) -> None:
    _, alias = await team.invite("L2", "Ines")
    assert alias.startswith("Agent-")
    # The same link cannot be used twice, and only admins can make links.
    reply = await team.say(team.world.admin, "/invite_agent L3", "Invite link")
    token = re.search(r"start=(inv_[\w-]+)", reply["text"])
    assert token is not None
    stranger = team.world.new_client("Stranger")
    await team.say(stranger, f"/start {token.group(1)}", "You are now a support")
    latecomer = team.world.new_client("Late")
    await team.say(latecomer, f"/start {token.group(1)}", "not valid")
    await team.say(stranger, "/invite_agent L1", "Only admins")
    await team.say(team.world.admin, "/invite_agent L9", "/invite_agent L1")


async def test_tickets_go_to_online_agents_and_wait_in_a_queue_otherwise(team: Team) -> None:
    agent, alias = await team.invite("L1", "Olga")
    await team.say(team.world.admin, f"/agent_capacity {alias} 1", "capacity 1")
    _, first_desk = team.client("Queue")
    _, topic = await first_desk.open_ticket()
    await first_desk.client_gets("number 1 in the queue")
    second, second_desk = team.client("Queue")
    await second_desk.open_ticket()
    await second_desk.client_gets("number 2 in the queue")
    # Olga comes online: the head of the queue is hers at once, the other still waits.
    await team.go_online(agent)
    await first_desk.client_gets("agent has joined")
    assigned = await first_desk.desk_gets(f"Assigned to {alias}", topic)
    mention = next(e for e in assigned["entities"] if e["type"] == "text_mention")
    assert mention["user"]["id"] == agent.id
    # Exactly over the alias, counted as Telegram counts: the 📌 before it is two units.
    units = assigned["text"].encode("utf-16-le")
    start, length = mention["offset"] * 2, mention["length"] * 2
    assert units[start : start + length].decode("utf-16-le") == alias
    await first_desk.until(
        lambda: alias in team.tg.message(first_desk.chat_id, _card(first_desk, topic))["text"],
        "the card names the owner",
    )
    assert not any("agent has joined" in t for t in second_desk.bot_texts(second.id))
    # Closing the first ticket frees Olga's only slot: the second ticket is hers.
    team.tg.send_text(agent.id, first_desk.chat_id, "/close", thread_id=topic)
    await second_desk.client_gets("agent has joined")
    stats = await team.say(agent, "/stats", "Your figures")
    assert "Closed: 1 (resolved by an agent 100 %" in stats["text"]
    assert "Open now: 1" in stats["text"]
    mine = await team.say(agent, "/mine", "Your open tickets (1)")
    opened = next(t for t in second_desk.bot_texts(second.id) if "ticket is SUPP-" in t)
    assert opened.split("ticket is ")[1][:22] in mine["text"]


async def test_only_the_owner_or_a_higher_level_may_answer(team: Team) -> None:
    owner, owner_alias = await team.invite("L2", "Omar")
    junior, _ = await team.invite("L1", "Jun")
    senior, senior_alias = await team.invite("L3", "Sen")
    await team.go_online(owner)
    client, desk = team.client("Owned")
    _, topic = await desk.open_ticket()
    await desk.desk_gets(f"Assigned to {owner_alias}", topic)
    team.tg.send_text(junior.id, desk.chat_id, "let me answer", thread_id=topic)
    await desk.desk_gets(f"belongs to {owner_alias}", topic)
    team.tg.send_text(senior.id, desk.chat_id, "senior here", thread_id=topic)
    await desk.client_gets("senior here")
    team.tg.send_text(owner.id, desk.chat_id, "owner here", thread_id=topic)
    await desk.client_gets("owner here")
    assert not any("let me answer" in t for t in desk.bot_texts(client.id))
    # Notes are open to everyone, and stay in the desk.
    team.tg.send_text(junior.id, desk.chat_id, "/note I know this client", thread_id=topic)
    await desk.desk_gets("Internal note saved", topic)
    # The card's Close button is refused to a junior as well.
    card = _card(desk, topic)
    close = button(_card_now(desk, topic), "Close")
    query = team.tg.press_button(junior.id, desk.chat_id, card, close)
    await desk.until(lambda: query in team.tg.callback_answers, "the junior's press answered")
    assert "belongs to" in (team.tg.callback_answers[query].get("text") or "")
    # The card's Take button hands the ticket over in one press.
    take = button(_card_now(desk, topic), "Take")
    team.tg.press_button(senior.id, desk.chat_id, card, take)
    await desk.desk_gets(f"Assigned to {senior_alias} (take)", topic)


async def test_take_transfer_escalate_and_priority(team: Team) -> None:
    first, first_alias = await team.invite("L1", "Fay")
    second, second_alias = await team.invite("L1", "Sid")
    expert, expert_alias = await team.invite("L2", "Exa")
    await team.go_online(first)
    client, desk = team.client("Moves")
    _, topic = await desk.open_ticket()
    await desk.desk_gets(f"Assigned to {first_alias}", topic)
    await team.go_online(second)
    team.tg.send_text(second.id, desk.chat_id, "/take", thread_id=topic)
    await desk.desk_gets(f"Assigned to {second_alias} (take)", topic)
    team.tg.send_text(second.id, desk.chat_id, f"/transfer {first_alias}", thread_id=topic)
    await desk.desk_gets(f"Assigned to {first_alias} (transfer)", topic)
    team.tg.send_text(first.id, desk.chat_id, "/transfer Agent-0", thread_id=topic)
    await desk.desk_gets("no agent called Agent-0", topic)
    team.tg.send_text(first.id, desk.chat_id, "/priority urgent", thread_id=topic)
    await desk.desk_gets("Priority is now urgent", topic)
    await desk.until(
        lambda: "Priority: urgent" in team.tg.message(desk.chat_id, _card(desk, topic))["text"],
        "the card shows the new priority",
    )
    team.tg.send_text(first.id, desk.chat_id, "/priority whenever", thread_id=topic)
    await desk.desk_gets("/priority low", topic)
    # Escalation: nobody at L2 is online, so the ticket waits for one, who is briefed.
    team.tg.send_text(client.id, client.id, "this needs an expert")
    await desk.desk_gets("needs an expert", topic)
    team.tg.send_text(first.id, desk.chat_id, "/escalate database question", thread_id=topic)
    await desk.desk_gets("Escalated to L2", topic)
    await team.go_online(expert)
    await desk.desk_gets(f"Assigned to {expert_alias}", topic)
    brief = await team.say(expert, "/mine", "Your open tickets")
    assert "urgent" in brief["text"]
    assert f"https://t.me/c/{str(desk.chat_id).removeprefix('-100')}/{topic}" in brief["text"]
    briefing = [t for t in desk.bot_texts(expert.id) if "escalated to you" in t]
    assert briefing and "database question" in briefing[0] and "needs an expert" in briefing[0]
    team.tg.send_text(expert.id, desk.chat_id, "/escalate", thread_id=topic)
    await desk.desk_gets("Escalated to L3", topic)
    # Now an L3 ticket: the L2 expert has let go of it and may no longer change it.
    team.tg.send_text(expert.id, desk.chat_id, "/transfer queue", thread_id=topic)
    await desk.desk_gets("needs level L3", topic)


async def test_admins_list_change_and_remove_agents(team: Team) -> None:
    agent, alias = await team.invite("L1", "Rem")
    await team.go_online(agent)
    _, desk = team.client("Orphan")
    ticket, topic = await desk.open_ticket()
    await desk.desk_gets(f"Assigned to {alias}", topic)
    listing = await team.say(team.world.admin, "/agents", "Agents (")
    assert f"{alias} — L1 — online — 1/" in listing["text"]
    await team.say(team.world.admin, f"/agent_level {alias} L3", "is now L3")
    await team.say(team.world.admin, f"/remove_agent {alias}", "no longer an agent")
    team.online.remove(agent)
    await team.say(agent, "/online", "Only support agents")
    queue = await team.say(team.world.admin, "/queue", "Waiting tickets")
    assert ticket in queue["text"]  # their ticket went back to the queue
    await team.say(team.world.admin, "/agent_capacity nobody 3", "no agent called")


async def test_an_agent_outside_the_desk_group_is_sent_back_offline(team: Team) -> None:
    outsider, _ = await team.invite("L1", "Out", join_desk=False)
    await team.say(outsider, "/online", "not a member of the support desk")
    _, desk = team.client("NoDesk")
    await desk.open_ticket()
    await desk.client_gets("number")  # queued: the outsider was not given the ticket
    listing = await team.say(team.world.admin, "/agents", "Agents (")
    assert any(
        "— offline —" in line
        for line in listing["text"].splitlines()
        if line.startswith("• Agent") and "— L1 —" in line
    )


def _card(desk: Desk, topic: int) -> int:
    cards = [m for m in desk.tg.bot_messages(desk.chat_id, topic) if "🎫" in m.get("text", "")]
    assert cards, "no ticket card"
    return int(cards[0]["message_id"])


def _card_now(desk: Desk, topic: int) -> dict[str, Any]:
    """The ticket's card as it is now: edited in place at every change, buttons too."""
    return desk.tg.message(desk.chat_id, _card(desk, topic))


async def test_canned_answers_are_kept_by_admins_and_sent_with_one_press(team: Team) -> None:
    admin = team.world.admin
    await team.say(admin, "/canned_set greeting Hello! Your ticket is {ticket}.", "saved")
    await team.say(admin, "/canned_set bye Thanks for writing to us.", "saved")
    await team.say(admin, "/canned_set bye Thank you, goodbye!", "saved")  # an edit
    listing = await team.say(admin, "/canned_list", "Canned answers")
    assert "goodbye" in listing["text"] and "Thanks for writing" not in listing["text"]
    await team.say(admin, "/canned_set bad! text", "/canned_set <name> <text>")
    agent, alias = await team.invite("L1", "Can")
    await team.say(agent, "/canned_set sneaky text", "Only admins")
    await team.go_online(agent)
    client, desk = team.client("Canned")
    ticket, topic = await desk.open_ticket()
    await desk.desk_gets(f"Assigned to {alias}", topic)
    team.tg.send_text(agent.id, desk.chat_id, "/canned", thread_id=topic)
    menu = await desk.desk_gets("Pick an answer", topic)
    buttons = {
        b["text"]: b["callback_data"]
        for row in menu["reply_markup"]["inline_keyboard"]
        for b in row
    }
    assert set(buttons) == {"greeting", "bye"}
    team.tg.press_button(agent.id, desk.chat_id, menu["message_id"], buttons["greeting"])
    got = await desk.client_gets(f"Your ticket is {ticket}.")
    assert got["from"]["is_bot"]
    await desk.desk_gets('Sent "greeting"', topic)
    await team.say(admin, "/canned_delete bye", "deleted")
    # The transcript records the canned answer as the agent's message.
    desk.tg.send_text(client.id, client.id, "/tickets")
    listing = await desk.client_gets("Your support tickets")
    data = listing["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    desk.tg.press_button(client.id, client.id, listing["message_id"], data)
    transcript = await desk.client_gets("Transcript of")
    assert f"Live Support: Hello! Your ticket is {ticket}." in transcript["text"]
