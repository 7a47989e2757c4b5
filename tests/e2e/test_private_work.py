"""An agent works a ticket from their private chat with the bot (/private, /back): the
client's messages come there, the agent's answers go from there, anonymously."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.harness import Desk
from tests.e2e.team import Team

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def test_a_ticket_worked_from_the_private_chat_and_handed_back(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    tg, client, agent = desk.tg, desk.client.id, desk.agent.id
    seen_by_agent = len(tg.bot_messages(agent))
    tg.send_text(agent, desk.chat_id, "/private", thread_id=topic)
    await desk.client_gets(f"You now work User-{ticket} here", desk.agent, skip=seen_by_agent)
    await desk.desk_gets("works this ticket from their private chat", topic)

    question = tg.send_text(client, client, "[v1] is my appointment moved?")
    got = await desk.client_gets("[v1] is my appointment moved?", desk.agent)
    assert not any("[v1]" in t for t in desk.bot_texts(desk.chat_id, topic))  # not the topic
    # The agent answers from their private chat, replying to the client's message. The bot
    # notes which message carried it just after Telegram took it; a person replies later.
    await asyncio.sleep(0.5)
    tg.send_text(agent, agent, "[w1] yes, to Friday", reply_to=got["message_id"])
    answer = await desk.client_gets("[w1] yes, to Friday")
    assert answer["reply_to_message"]["message_id"] == question["message_id"]
    assert "Bob" not in str(answer) and "bob_helps" not in str(answer)

    seen_by_agent = len(tg.bot_messages(agent))
    tg.send_text(agent, agent, "/note prefers mornings")
    await desk.client_gets("Internal note saved", desk.agent, skip=seen_by_agent)
    assert not any("prefers mornings" in t for t in desk.bot_texts(client))

    tg.send_text(agent, agent, "/back")
    await desk.client_gets(f"User-{ticket} is back in its topic", desk.agent)
    await desk.desk_gets("worked here in the topic again", topic)
    tg.send_text(client, client, "[v2] thanks!")
    await desk.desk_gets("[v2] thanks!", topic)


async def test_closing_from_the_private_chat_tells_everyone(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    tg, agent = desk.tg, desk.agent.id
    tg.send_text(agent, desk.chat_id, "/private", thread_id=topic)
    await desk.client_gets(f"You now work User-{ticket} here", desk.agent)
    tg.send_text(agent, agent, "/close")
    await desk.client_gets(f"Ticket {ticket} is closed", desk.agent)
    await desk.client_gets("closed")  # the client is told
    await desk.desk_gets("Ticket closed", topic)
    # The chat is the agent's own again: a plain message now starts nothing for a client.
    seen_by_agent = len(tg.bot_messages(agent))
    tg.send_text(agent, agent, "[x1] anyone?")
    await desk.client_gets("", desk.agent, skip=seen_by_agent)
    assert not any("[x1]" in t for t in desk.bot_texts(desk.client.id))


async def test_a_removed_agent_stops_getting_the_client_and_cannot_edit_answers(
    team: Team,
) -> None:
    # Lena (L2) answers an unowned L1 ticket and works it in private without owning it.
    lena, alias = await team.invite("L2", "Lena")
    client, desk = team.client("Removed")
    ticket, topic = await desk.open_ticket()
    tg = team.tg
    tg.send_text(lena.id, desk.chat_id, "[r0] hello from the topic", thread_id=topic)
    await desk.client_gets("[r0] hello from the topic")
    answer = next(m for m in tg.messages(desk.chat_id, topic) if "[r0]" in str(m.get("text")))
    tg.send_text(lena.id, desk.chat_id, "/private", thread_id=topic)
    await desk.client_gets(f"You now work User-{ticket} here", lena)
    assert tg.member_status(desk.chat_id, lena.id) == "member"
    await team.say(team.world.admin, f"/remove_agent {alias}", f"{alias} is no longer an agent")
    # Out of the team, out of the desk group, and free to be invited again later.
    await desk.until(lambda: tg.member_status(desk.chat_id, lena.id) == "left", "Lena out")
    # The client's next message is read in the topic, and the desk is told why.
    tg.send_text(client.id, client.id, "[r1] still there?")
    await desk.desk_gets("[r1] still there?", topic)
    await desk.desk_gets("may no longer work it", topic)
    assert not any("[r1]" in t for t in desk.bot_texts(lena.id))
    # An edit of her old answer passes the rule a new answer passes: it is refused.
    seen = desk.client_inbox()
    tg.edit_text(lena.id, desk.chat_id, answer["message_id"], "[r0] send your card number")
    await desk.desk_gets("Only support agents can answer", topic)
    assert not any("card number" in t for t in desk.bot_texts(client.id)[seen:])
    assert "card number" not in str(tg.message(client.id, _copy_of(desk, "[r0]")))


async def test_rights_are_asked_again_when_a_message_is_delivered(team: Team) -> None:
    # Lena-2 (L2) works an L1 ticket in private; an admin escalates it to L3 in the
    # topic. Nothing tells her chat to stop: the delivery itself finds the right gone.
    nadia, _ = await team.invite("L2", "Nadia")
    client, desk = team.client("Escalated")
    ticket, topic = await desk.open_ticket()
    tg = team.tg
    tg.send_text(nadia.id, desk.chat_id, "/private", thread_id=topic)
    await desk.client_gets(f"You now work User-{ticket} here", nadia)
    tg.send_text(team.world.admin.id, desk.chat_id, "/escalate to L2", thread_id=topic)
    await desk.desk_gets("Escalated to L2", topic)
    tg.send_text(team.world.admin.id, desk.chat_id, "/escalate to L3", thread_id=topic)
    await desk.desk_gets("Escalated to L3", topic)
    tg.send_text(client.id, client.id, "[q1] hello?")
    await desk.desk_gets("[q1] hello?", topic)
    await desk.desk_gets("may no longer work it", topic)
    assert not any("[q1]" in t for t in desk.bot_texts(nadia.id))


async def test_an_agent_who_blocks_the_bot_does_not_block_the_ticket(team: Team) -> None:
    mia, _ = await team.invite("L1", "Mia")
    client, desk = team.client("Blocked")
    ticket, topic = await desk.open_ticket()
    tg = team.tg
    tg.send_text(mia.id, desk.chat_id, "/private", thread_id=topic)
    await desk.client_gets(f"You now work User-{ticket} here", mia)
    tg.block_bot(mia.id)
    tg.send_text(client.id, client.id, "[b1] anyone?")
    await desk.desk_gets("[b1] anyone?", topic)
    await desk.desk_gets("may no longer work it", topic)


async def test_edits_go_where_the_copy_is_after_back(desk: Desk) -> None:
    # A client's message copied into the agent's private chat, then /back: the client's
    # edit must not land on whatever carries the same id in the desk group.
    ticket, topic = await desk.open_ticket()
    tg, client, agent = desk.tg, desk.client.id, desk.agent.id
    tg.send_text(agent, desk.chat_id, "/private", thread_id=topic)
    await desk.client_gets(f"You now work User-{ticket} here", desk.agent)
    original = tg.send_text(client, client, "[c1] my old wording")
    copy = await desk.client_gets("[c1] my old wording", desk.agent)
    tg.send_text(agent, agent, "/back")
    await desk.client_gets("is back in its topic", desk.agent)
    await desk.desk_gets("worked here in the topic again", topic)
    group_before = {m["message_id"]: m.get("text") for m in tg.bot_messages(desk.chat_id)}
    tg.edit_text(client, client, original["message_id"], "[c1] my new wording")
    await desk.desk_gets("[c1] my new wording", topic)  # those who read the ticket now see it
    # Nothing in the desk group was overwritten, whatever its id.
    for message in tg.bot_messages(desk.chat_id):
        if message["message_id"] in group_before:
            assert message.get("text") == group_before[message["message_id"]]
    assert tg.message(agent, copy["message_id"])["text"] == "[c1] my old wording"


def _copy_of(desk: Desk, tag: str) -> int:
    return next(m["message_id"] for m in desk.tg.bot_messages(desk.client.id) if tag in str(m))


async def test_an_admin_takes_a_stranger_out_of_the_desk(team: Team) -> None:
    _, desk = team.client("Stranger")
    _, topic = await desk.open_ticket()
    tg, outsider, admin = team.tg, team.world.outsider, team.world.admin
    said = tg.send_text(outsider.id, desk.chat_id, "I am not staff", thread_id=topic)
    await desk.desk_gets("/remove_member", topic)
    # Only an admin may; the reply names who goes.
    tg.send_text(
        desk.agent.id, desk.chat_id, "/remove_member", thread_id=topic, reply_to=said["message_id"]
    )
    await desk.desk_gets("Only admins can do that", topic)
    tg.send_text(
        admin.id, desk.chat_id, "/remove_member", thread_id=topic, reply_to=said["message_id"]
    )
    await desk.desk_gets("Taken out of the desk groups", topic)
    await desk.until(lambda: tg.member_status(desk.chat_id, outsider.id) == "left", "gone")
    tg.add_member(desk.chat_id, outsider.id)  # the other scenarios keep their outsider


async def test_commands_typed_in_the_private_chat_never_reach_the_client(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    tg, agent = desk.tg, desk.agent.id
    tg.send_text(agent, desk.chat_id, "/private", thread_id=topic)
    await desk.client_gets(f"You now work User-{ticket} here", desk.agent)
    seen = len(tg.bot_messages(agent))
    tg.send_text(agent, agent, "/hepl me-secret")  # a typo of a command: said, not sent
    await desk.client_gets("Unknown command", desk.agent, skip=seen)
    tg.send_text(agent, agent, "/NOTE upper-secret")
    tg.send_text(agent, agent, "\u200b/note hidden-secret")
    await desk.until(
        lambda: sum("Internal note saved" in t for t in desk.bot_texts(agent)[seen:]) == 2,
        "both notes saved",
    )
    tg.send_text(agent, agent, "[p7] plain answer")
    await desk.client_gets("[p7] plain answer")
    assert not any("secret" in t for t in desk.bot_texts(desk.client.id))
    tg.send_text(agent, agent, "/back")
    await desk.client_gets("is back in its topic", desk.agent)


async def test_a_group_that_refuses_the_removal_is_named_to_the_desk(team: Team) -> None:
    from veil.faketg import FakeError

    gus, alias = await team.invite("L1", "Gus")
    tg = team.tg
    tg.fail_next(FakeError.bad_request("not enough rights to restrict/ban"), method="banChatMember")
    await team.say(team.world.admin, f"/remove_agent {alias}", f"{alias} is no longer an agent")
    desk = team.desk_for(team.world.admin)
    notice = await desk.desk_gets("could not be removed from these desk groups")
    assert "not enough rights" in notice["text"]
    assert tg.member_status(desk.chat_id, gus.id) == "member"  # left for a person to do
