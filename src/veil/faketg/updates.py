"""Getting updates: long polling with offset confirmation, and webhooks.

Delivery is at least once, as in Telegram: an update stays queued until a later
getUpdates confirms it with a higher offset (or a webhook answers 2xx)."""

from __future__ import annotations

import asyncio
import re

from .errors import FakeError
from .registry import Ctx, method
from .state import JSON, BotAccount, Webhook
from .webhook import start_pusher, stop_pusher

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def confirm(bot: BotAccount, offset: int | None) -> None:
    """Forget updates below `offset`; a negative offset keeps only the last -offset."""
    if offset is None or offset == 0:
        return
    if offset < 0:
        del bot.updates[: max(0, len(bot.updates) + offset)]
    else:
        bot.updates[:] = [u for u in bot.updates if int(u["update_id"]) >= offset]


def _remember_allowed(bot: BotAccount, allowed: list[object] | None) -> None:
    # Absent keeps the previous choice; an empty list goes back to Telegram's default.
    if allowed is not None:
        bot.allowed_updates = frozenset(str(kind) for kind in allowed) or None


@method("getUpdates")
async def get_updates(ctx: Ctx) -> list[JSON]:
    bot, world = ctx.bot, ctx.world
    if bot.webhook is not None:
        raise FakeError.conflict(
            "can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
    limit = min(100, max(1, ctx.opt_int("limit") or 100))
    timeout = max(0, ctx.opt_int("timeout") or 0)
    _remember_allowed(bot, ctx.opt_list("allowed_updates"))
    confirm(bot, ctx.opt_int("offset"))
    world.touch()
    bot.poll_generation += 1
    generation = bot.poll_generation
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if bot.poll_generation != generation:
            raise FakeError.conflict(
                "terminated by other getUpdates request; "
                "make sure that only one bot instance is running"
            )
        if bot.updates:
            return bot.updates[:limit]
        remaining = deadline - loop.time()
        if remaining <= 0 or world.closing:
            return []
        await world.changed(remaining)


@method("setWebhook")
async def set_webhook(ctx: Ctx) -> bool:
    url = ctx.opt_str("url") or ""
    if not url:
        return await delete_webhook(ctx)
    if not url.startswith(("http://", "https://")):
        raise FakeError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = ctx.opt_str("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise FakeError.bad_request("secret token contains unallowed characters")
    if ctx.flag("drop_pending_updates"):
        ctx.bot.updates.clear()
    _remember_allowed(ctx.bot, ctx.opt_list("allowed_updates"))
    ctx.bot.webhook = Webhook(url, secret, ctx.opt_int("max_connections") or 40)
    start_pusher(ctx.world, ctx.bot)
    ctx.world.touch()
    return True


@method("deleteWebhook")
async def delete_webhook(ctx: Ctx) -> bool:
    if ctx.flag("drop_pending_updates"):
        ctx.bot.updates.clear()
    ctx.bot.webhook = None
    stop_pusher(ctx.world, ctx.bot)
    ctx.world.touch()
    return True


@method("getWebhookInfo")
async def get_webhook_info(ctx: Ctx) -> JSON:
    hook = ctx.bot.webhook
    info: JSON = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(ctx.bot.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    if ctx.bot.allowed_updates is not None:
        info["allowed_updates"] = sorted(ctx.bot.allowed_updates)
    return info
