"""Admins and agents in the end-to-end tests: invites, status, private commands."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.harness import Desk, Person, World


class Team:
    """Admins and agents talking to the bot in private."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.tg = world.tg
        self.online: list[Person] = []

    def desk_for(self, client: Person) -> Desk:
        w = self.world
        return Desk(w.tg, w.bot, w.desk_id, client, w.agent, w.outsider, clients=w.clients)

    async def say(self, person: Person, text: str, expect: str) -> dict[str, Any]:
        """``person`` sends ``text`` privately; waits for the bot's reply containing ``expect``."""
        seen = len(self.tg.bot_messages(person.id))
        self.tg.send_text(person.id, person.id, text)
        return await self.desk_for(person).client_gets(expect, person, skip=seen)

    async def invite(self, level: str, name: str, *, join_desk: bool = True) -> tuple[Person, str]:
        """The admin invites a new agent of ``level``; returns them and their alias."""
        reply = await self.say(self.world.admin, f"/invite_agent {level}", "Invite link")
        token = re.search(r"start=(inv_[\w-]+)", reply["text"])
        assert token is not None, reply["text"]
        person = Person(0, name, None, f"{name.lower()}_agent")
        person.id = self.tg.add_user(name, username=person.username)
        self.world.invited.append(person)
        if join_desk:
            self.tg.add_member(self.world.desk_id, person.id)
        accepted = await self.say(person, f"/start {token.group(1)}", "You are now a support")
        alias = re.search(r"Agent-\d+", accepted["text"])
        assert alias is not None and level in accepted["text"]
        return person, alias.group(0)

    async def go_online(self, person: Person) -> None:
        await self.say(person, "/online", "You are online")
        self.online.append(person)

    def client(self, name: str) -> tuple[Person, Desk]:
        person = self.world.new_client(name)
        return person, self.desk_for(person)
