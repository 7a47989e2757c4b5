"""The bot's command menus: what each audience sees on typing "/", in each language.

Clients see theirs in every private chat; an agent's or admin's own chat shows theirs
(a chat scope, set when they join the team and cleared when they leave); each desk group
shows the topic commands. Every scope is set once per language of the catalog (English
as the default). Inside a host, a scope's commands are merged with the host's own for
it, the host's first and never replaced; ``VEIL_MANAGE_COMMANDS=false`` leaves them all
alone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)

from veil.i18n import FALLBACK
from veil.services.ports import Texts

log = logging.getLogger(__name__)

CLIENT = ("start", "support", "end", "tickets", "help")
AGENT = ("online", "away", "offline", "mine", "queue", "stats", "help")
ADMIN = (
    *AGENT[:-1],
    "agents",
    "invite_agent",
    "remove_agent",
    "ban",
    "unban",
    "report",
    "canned_list",
    "help",
)
# The commands of a ticket's topic (in a private chat they are told where they belong).
TOPIC_COMMANDS = (
    "close",
    "note",
    "take",
    "transfer",
    "escalate",
    "priority",
    "canned",
    "private",
    "reschedule",
    "cancel_booking",
)
DESK = (*TOPIC_COMMANDS, "help")

Scope = (
    BotCommandScopeAllPrivateChats
    | BotCommandScopeChat
    | BotCommandScopeAllGroupChats
    | BotCommandScopeDefault
)
# What Veil lists (a host's /start stays the host's): taken out of what a host's scope
# holds before merging, so that Veil's own earlier entries are replaced, not kept.
VEILS = frozenset({*CLIENT, *ADMIN, *AGENT, *DESK} - {"start"})


class Menus:
    def __init__(self, bot: Bot, texts: Texts, languages: Sequence[str], *, shared: bool) -> None:
        self._bot = bot
        self._texts = texts
        self._languages = list(languages)
        self._shared = shared

    async def for_clients(self) -> None:
        # A host's /start is the host's: Veil's own menu lists it only as a bot of its own.
        names = [c for c in CLIENT if not (self._shared and c == "start")]
        await self._set(BotCommandScopeAllPrivateChats(), names)

    async def for_desk(self, chat_id: int) -> None:
        await self._set(BotCommandScopeChat(chat_id=chat_id), DESK)

    async def for_staff(self, chat_id: int, *, admin: bool) -> None:
        await self._set(BotCommandScopeChat(chat_id=chat_id), ADMIN if admin else AGENT)

    async def for_nobody(self, chat_id: int) -> None:
        """Someone who left the team: their chat shows what it showed before (a host's own
        entries for it, if any), else the clients' menu again."""
        scope = BotCommandScopeChat(chat_id=chat_id)
        for language in self._languages:
            code = _code(language)
            theirs = await self._theirs_in(scope, code) if self._shared else []
            if theirs:
                await self._bot.set_my_commands(theirs, scope=scope, language_code=code)
            else:
                await self._bot.delete_my_commands(scope=scope, language_code=code)

    async def _set(self, scope: Scope, names: Sequence[str]) -> None:
        for language in self._languages:
            code = _code(language)
            ours = [
                BotCommand(command=name, description=self._texts(language, f"command-{name}"))
                for name in names
            ]
            if self._shared:
                theirs = await self._theirs(scope, code)
                taken = {c.command for c in theirs}
                ours = [*theirs, *(c for c in ours if c.command not in taken)]
            await self._bot.set_my_commands(ours, scope=scope, language_code=code)

    async def _theirs(self, scope: Scope, code: str | None) -> list[BotCommand]:
        """The host's commands as Telegram would show them where ``scope`` applies: from
        the narrowest scope and language holding any of the host's, as Telegram picks."""
        for wider, language in _fallbacks(scope, code):
            found = await self._theirs_in(wider, language)
            if found:
                return found
        return []

    async def _theirs_in(self, scope: Scope, code: str | None) -> list[BotCommand]:
        listed = await self._bot.get_my_commands(scope=scope, language_code=code)
        return [c for c in listed if c.command not in VEILS]


def _code(language: str) -> str | None:
    return None if language == FALLBACK else language


def _fallbacks(scope: Scope, code: str | None) -> list[tuple[Scope, str | None]]:
    """Telegram's order of lookup for a chat under ``scope``: that scope, then the wider
    ones, each in the language and then without one."""
    if isinstance(scope, BotCommandScopeChat):
        is_group = isinstance(scope.chat_id, int) and scope.chat_id < 0
        wider: Scope = (
            BotCommandScopeAllGroupChats() if is_group else BotCommandScopeAllPrivateChats()
        )
        chain: list[Scope] = [scope, wider, BotCommandScopeDefault()]
    elif isinstance(scope, BotCommandScopeDefault):
        chain = [scope]
    else:
        chain = [scope, BotCommandScopeDefault()]
    languages = [code, None] if code is not None else [None]
    return [(s, language) for s in chain for language in languages]


async def quietly(what: str, call: Awaitable[None]) -> None:
    """A menu that could not be set is no reason not to serve: logged, and on we go."""
    try:
        await call
    except TelegramAPIError as exc:
        log.warning("could not set the command menu for %s: %s", what, exc)
