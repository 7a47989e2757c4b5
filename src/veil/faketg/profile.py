"""The bot's own profile: getMe, its command lists, descriptions and menu button."""

from __future__ import annotations

import json
import re

from .errors import FakeError
from .registry import Ctx, method
from .state import JSON

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


@method("getMe")
async def get_me(ctx: Ctx) -> JSON:
    return {
        **ctx.bot.user,
        "can_join_groups": True,
        # Privacy mode is off: the bot reads every message in its groups.
        "can_read_all_group_messages": True,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut")
async def log_out(ctx: Ctx) -> bool:
    return True


@method("close")
async def close(ctx: Ctx) -> bool:
    return True


def _commands_key(ctx: Ctx) -> tuple[str, str]:
    scope = ctx.opt_dict("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), ctx.opt_str("language_code") or ""


@method("setMyCommands")
async def set_my_commands(ctx: Ctx) -> bool:
    commands = ctx.opt_list("commands")
    if commands is None:
        raise FakeError.bad_request("commands is empty")
    if len(commands) > 100:
        raise FakeError.bad_request("BOT_COMMANDS_TOO_MUCH")
    checked: list[JSON] = []
    for command in commands:
        if not isinstance(command, dict):
            raise FakeError.bad_request("can't parse commands JSON object")
        name = str(command.get("command", "")).removeprefix("/")
        description = str(command.get("description", ""))
        if not _COMMAND.fullmatch(name):
            raise FakeError.bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise FakeError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({**command, "command": name, "description": description})
    ctx.bot.commands[_commands_key(ctx)] = checked
    return True


@method("getMyCommands")
async def get_my_commands(ctx: Ctx) -> list[JSON]:
    return [dict(c) for c in ctx.bot.commands.get(_commands_key(ctx), [])]


@method("deleteMyCommands")
async def delete_my_commands(ctx: Ctx) -> bool:
    ctx.bot.commands.pop(_commands_key(ctx), None)
    return True


def _text_setting(name: str, field: str, limit: int) -> None:
    """setMyX / getMyX pairs that store one text per language."""

    async def setter(ctx: Ctx) -> bool:
        value = ctx.opt_str(field) or ""
        if len(value) > limit:
            raise FakeError.bad_request(f"{field} is too long")
        ctx.bot.settings[f"{field}:{ctx.opt_str('language_code') or ''}"] = value
        return True

    async def getter(ctx: Ctx) -> JSON:
        key = f"{field}:{ctx.opt_str('language_code') or ''}"
        default = ctx.bot.user["first_name"] if field == "name" else ""
        return {field: ctx.bot.settings.get(key, default)}

    method(f"setMy{name}")(setter)
    method(f"getMy{name}")(getter)


_text_setting("Name", "name", 64)
_text_setting("Description", "description", 512)
_text_setting("ShortDescription", "short_description", 120)


@method("setChatMenuButton")
async def set_chat_menu_button(ctx: Ctx) -> bool:
    ctx.bot.settings[f"menu_button:{ctx.opt_int('chat_id') or ''}"] = ctx.opt_dict(
        "menu_button"
    ) or {"type": "default"}
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(ctx: Ctx) -> JSON:
    value = ctx.bot.settings.get(f"menu_button:{ctx.opt_int('chat_id') or ''}")
    return dict(value) if isinstance(value, dict) else {"type": "commands"}
