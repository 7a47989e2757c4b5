"""The Bot API front door: token check, method lookup, scripted faults, the call log.

Every request, whatever its outcome, ends up in `World.calls`, so tests can assert on
exactly what the bot asked Telegram to do."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiohttp import web

# Imported for their side effect: each registers its methods in the registry.
from . import chats, editing, profile, relaying, sending, updates  # noqa: F401
from .errors import FakeError
from .params import read_params
from .registry import Ctx, Handler, lookup
from .state import JSON, ApiCall, BotAccount, World

logger = logging.getLogger("veil.faketg")


async def handle_bot_request(world: World, request: web.Request) -> web.Response:
    at = time.monotonic()
    token, name = request.match_info["token"], request.match_info["method"]
    bot = world.bot(token)
    if bot is None:
        logger.warning("faketg: request with unknown token for %s", name)
        return web.json_response(FakeError.unauthorized().body(), status=401)
    try:
        params = await read_params(request)
    except FakeError as error:
        entry = lookup(name)
        _record(world, bot, entry[0] if entry else name, {}, None, error, at)
        return web.json_response(error.body(), status=error.status)
    status, body = await call(world, bot, name, params, at=at)
    return web.json_response(body, status=status)


async def call(
    world: World, bot: BotAccount, name: str, params: dict[str, Any], *, at: float | None = None
) -> tuple[int, JSON]:
    """Run one Bot API method for `bot`; returns the HTTP status and the response body."""
    at = time.monotonic() if at is None else at
    entry = lookup(name)
    if entry is None:
        logger.error("faketg: unknown Bot API method %r called by bot %s", name, bot.id)
        world.unknown_methods.append(name)
        error = FakeError.not_found()
        _record(world, bot, name, params, None, error, at)
        return error.status, error.body()
    canonical, handler = entry
    ctx = Ctx(world, bot, params, canonical)
    fault = world.take_fault(canonical, params.get("chat_id"))
    if fault is not None:
        await _suffer(ctx, handler, fault)
        _record(world, bot, canonical, params, None, fault, at)
        return fault.status, fault.body()
    try:
        result = await handler(ctx)
    except FakeError as error:
        _record(world, bot, canonical, params, None, error, at)
        return error.status, error.body()
    _record(world, bot, canonical, params, result, None, at)
    return 200, {"ok": True, "result": result}


async def _suffer(ctx: Ctx, handler: Handler, fault: FakeError) -> None:
    """Play a scripted fault: maybe do the work anyway, maybe hang first."""
    if fault.applied:
        with contextlib.suppress(FakeError):
            await handler(ctx)
    if fault.delay > 0:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + fault.delay
        while not ctx.world.closing and (left := deadline - loop.time()) > 0:
            await ctx.world.changed(left)


def _record(
    world: World,
    bot: BotAccount,
    name: str,
    params: dict[str, Any],
    result: Any,
    error: FakeError | None,
    at: float,
) -> None:
    world.calls.append(
        ApiCall(
            method=name,
            params=params,
            token=bot.token,
            ok=error is None,
            result=result,
            error=None if error is None else error.body(),
            at=at,
        )
    )
    world.touch()
