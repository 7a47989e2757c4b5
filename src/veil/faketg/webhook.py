"""Pushing updates to a webhook, one at a time and in order, like Telegram does.

A 2xx answer confirms the update; anything else is retried with backoff and shows up in
getWebhookInfo's last_error_*. A JSON answer naming a `method` is executed as a Bot API
call, as Telegram allows for webhook replies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import aiohttp

from .errors import ConnectionDropped
from .state import BotAccount, World

logger = logging.getLogger("veil.faketg")
_MAX_BACKOFF = 5.0


def start_pusher(world: World, bot: BotAccount) -> None:
    task = world.webhook_tasks.get(bot.token)
    if task is None or task.done():
        world.webhook_tasks[bot.token] = asyncio.create_task(_push(world, bot))


def stop_pusher(world: World, bot: BotAccount) -> None:
    task = world.webhook_tasks.pop(bot.token, None)
    if task is not None:
        task.cancel()


async def stop_all(world: World) -> None:
    tasks = list(world.webhook_tasks.values())
    world.webhook_tasks.clear()
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _push(world: World, bot: BotAccount) -> None:
    backoff = 0.1
    async with aiohttp.ClientSession() as session:
        while bot.webhook is not None and not world.closing:
            if not bot.updates:
                await world.changed(1.0)
                continue
            update = bot.updates[0]
            error = await _deliver(world, bot, session, update)
            if error is None:
                if bot.updates and bot.updates[0] is update:
                    bot.updates.pop(0)
                backoff = 0.1
                world.touch()
                continue
            if bot.webhook is not None:
                bot.webhook.last_error_date = world.now()
                bot.webhook.last_error_message = error
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF)


async def _deliver(
    world: World, bot: BotAccount, session: aiohttp.ClientSession, update: dict[str, Any]
) -> str | None:
    """POST one update; None on success, otherwise what went wrong."""
    hook = bot.webhook
    if hook is None:
        return "webhook removed"
    headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
    hook.in_flight = update.get("update_id")
    hook.attempts += 1
    world.touch()
    try:
        async with session.post(
            hook.url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
        ) as response:
            body = await response.read()
            if not 200 <= response.status < 300:
                return f"Wrong response from the webhook: {response.status} {response.reason}"
    except (aiohttp.ClientError, TimeoutError) as error:
        return f"Connection failed: {type(error).__name__}"
    finally:
        hook.in_flight = None
    await _run_reply(world, bot, body)
    return None


async def _run_reply(world: World, bot: BotAccount, body: bytes) -> None:
    try:
        reply = json.loads(body) if body else None
    except ValueError:
        return
    if isinstance(reply, dict) and isinstance(reply.get("method"), str):
        # Imported here: api registers every method module, which import this one.
        from .api import call
        from .params import coerce

        params = {key: coerce(key, value) for key, value in reply.items() if key != "method"}
        # A webhook reply gets no answer anyway, so a dropped one just goes unheard.
        with contextlib.suppress(ConnectionDropped):
            await call(world, bot, reply["method"], params)
