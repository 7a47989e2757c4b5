"""The Bot API front door: token check, method lookup, scripted and chaos faults, the
call log.

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
from .errors import ConnectionDropped, FakeError
from .injection import inject
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
    try:
        status, body = await call(world, bot, name, params, at=at)
    except ConnectionDropped:
        # Closing before anything is written: the client reads EOF instead of a status
        # line. aiohttp then fails to write the response below and treats it as a client
        # that went away, which is all we want from it.
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)
    return web.json_response(body, status=status)


async def call(
    world: World, bot: BotAccount, name: str, params: dict[str, Any], *, at: float | None = None
) -> tuple[int, JSON]:
    """Run one Bot API method for `bot`; returns the HTTP status and the response body.
    Raises `ConnectionDropped` (after logging the call) when no answer must be sent."""
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
    fault, kind = world.take_fault(canonical, params.get("chat_id")), "scripted"
    delay = 0.0
    if fault is None:
        injection = inject(ctx)
        if injection is not None:
            fault, kind, delay = injection.error, injection.kind, injection.delay
    if fault is not None:
        result = await _suffer(ctx, handler, fault)
        _record(world, bot, canonical, params, result, fault, at, fault=kind)
        if fault.dropped:
            raise ConnectionDropped(canonical)
        return fault.status, fault.body()
    noted = None
    if delay > 0:
        noted = kind
        await _pause(world, delay)
    try:
        result = await handler(ctx)
    except FakeError as error:
        _record(world, bot, canonical, params, None, error, at, fault=noted)
        return error.status, error.body()
    _record(world, bot, canonical, params, result, None, at, fault=noted)
    return 200, {"ok": True, "result": result}


async def _suffer(ctx: Ctx, handler: Handler, fault: FakeError) -> Any:
    """Play a failure: maybe do the work anyway (returning what it gave), maybe hang."""
    result = None
    if fault.applied:
        with contextlib.suppress(FakeError):
            result = await handler(ctx)
    await _pause(ctx.world, fault.delay)
    return result


async def _pause(world: World, seconds: float) -> None:
    """Sit on a request, but let a stopping server answer at once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not world.closing and (left := deadline - loop.time()) > 0:
        await world.changed(left)


def _record(
    world: World,
    bot: BotAccount,
    name: str,
    params: dict[str, Any],
    result: Any,
    error: FakeError | None,
    at: float,
    *,
    fault: str | None = None,
) -> None:
    dropped = error is not None and error.dropped
    world.calls.append(
        ApiCall(
            method=name,
            params=params,
            token=bot.token,
            ok=error is None,
            # For a failure applied anyway, what the work gave although nobody saw it.
            result=result,
            error=None if error is None or dropped else error.body(),
            at=at,
            status=None if dropped else 200 if error is None else error.status,
            fault=fault,
        )
    )
    world.touch()
