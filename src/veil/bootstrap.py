"""The one place where real or fake adapters are wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats

from veil.config import ConfigError, Settings
from veil.domain.model import Role
from veil.i18n import default_catalog
from veil.jobs import desk_watch, housekeeping
from veil.services.context import Context
from veil.services.people import set_role
from veil.services.ports import Clock
from veil.store import db
from veil.store.uow import SqlStore
from veil.system import random_suffix, random_token, utcnow
from veil.telegram import buttons, client, desk, team
from veil.telegram.middlewares import UnitOfWorkMiddleware
from veil.telegram.sender import OutboxSender

log = logging.getLogger(__name__)

POLLING_MAX_BACKOFF = 60.0


@dataclass
class Veil:
    settings: Settings
    store: SqlStore
    ctx: Context
    bot: Bot
    dispatcher: Dispatcher
    sender: OutboxSender

    async def prepare(self) -> None:
        """Migrate the database and make sure the configured admins are admins."""
        await db.upgrade(self.store.engine)
        async with self.store() as uow:
            for telegram_id in self.settings.admin_ids:
                await set_role(uow, self.ctx, telegram_id, Role.ADMIN)
            await uow.commit()

    async def check_telegram(self) -> None:
        """Fail fast, with a clear message, when Telegram rejects the token or the desk."""
        try:
            me = await self.bot.get_me()
        except TelegramUnauthorizedError:
            raise ConfigError(
                "VEIL_BOT_TOKEN was rejected by Telegram (401 Unauthorized): check the token "
                "with @BotFather"
            ) from None
        except TelegramNetworkError as exc:
            log.warning("Telegram is not reachable yet (%s); polling will keep trying", exc)
            return
        # Invite links name the bot: learn its username once, here.
        self.ctx = replace(self.ctx, bot_username=me.username or self.ctx.bot_username)
        self.dispatcher["ctx"] = self.ctx
        desk_id = self.ctx.desk_chat_id
        try:
            desk = await self.bot.get_chat(desk_id)
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            raise ConfigError(
                f"VEIL_DESK_CHAT_ID={desk_id}: Telegram says {exc.message!r}. Add @{me.username} "
                "to the agents' supergroup as an administrator."
            ) from None
        if not desk.is_forum:
            raise ConfigError(
                f"VEIL_DESK_CHAT_ID={desk_id} ({desk.title!r}) has no topics: enable Topics in "
                "the group's settings, so that each ticket gets its own topic."
            )
        log.info("serving as @%s; desk %r", me.username, desk.title)

    async def announce_commands(self) -> None:
        commands = [
            BotCommand(command=c, description=self.ctx.texts(None, f"command-{c}"))
            for c in client.MENU_COMMANDS
        ]
        try:
            await self.bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats())
        except Exception:
            # A missing command menu is no reason not to serve.
            log.warning("could not set the bot's command menu", exc_info=True)

    async def serve(self, stop: asyncio.Event) -> None:
        """Poll Telegram and deliver the outbox until ``stop`` is set."""
        await self.check_telegram()
        await self.announce_commands()
        sending = asyncio.create_task(self.sender.run(), name="outbox-sender")
        tidying = asyncio.create_task(
            housekeeping.run_periodically(
                self.store, self.ctx.clock, self.settings.housekeeping_interval, stop
            ),
            name="housekeeping",
        )
        watching = asyncio.create_task(
            desk_watch.run_periodically(
                self.store,
                self.ctx,
                every=self.settings.watch_interval,
                grace=timedelta(seconds=self.settings.offline_grace_seconds),
                threshold=timedelta(seconds=self.settings.queue_alert_seconds),
                stop=stop,
            ),
            name="desk-watch",
        )
        polling = asyncio.create_task(self._keep_polling(stop), name="polling")
        await stop.wait()
        log.info("stopping")
        with contextlib.suppress(RuntimeError):  # polling may be between attempts
            await self.dispatcher.stop_polling()
        self.sender.stop()
        await asyncio.gather(polling, sending, tidying, watching, return_exceptions=True)

    async def _keep_polling(self, stop: asyncio.Event) -> None:
        """Poll until stopped; if polling dies (Telegram unreachable at start), start again."""
        delay = 1.0
        while not stop.is_set():
            try:
                await self.dispatcher.start_polling(
                    self.bot,
                    # One update at a time, confirmed only after its transaction committed.
                    handle_as_tasks=False,
                    polling_timeout=self.settings.polling_timeout,
                    handle_signals=False,
                    close_bot_session=False,
                    allowed_updates=self.dispatcher.resolve_used_update_types(),
                )
            except Exception as exc:
                log.error("polling stopped (%r); starting again in %.0fs", exc, delay)
            if stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, POLLING_MAX_BACKOFF)

    async def close(self) -> None:
        await self.bot.session.close()
        await self.store.engine.dispose()


def build(settings: Settings, *, clock: Clock = utcnow) -> Veil:
    token, desk_chat_id = settings.require_bot()
    store = SqlStore(db.make_engine(settings.database_url), clock)
    ctx = Context(
        clock=clock,
        texts=default_catalog(),
        new_suffix=random_suffix,
        desk_chat_id=desk_chat_id,
        desk_language=settings.desk_language,
        admin_ids=frozenset(settings.admin_ids),
        new_token=random_token,
        default_capacity=settings.agent_capacity,
        invite_lifetime=timedelta(hours=settings.invite_ttl_hours),
    )
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    bot = Bot(token, session=session)
    sender = OutboxSender(
        bot,
        store,
        ctx,
        poll_interval=settings.sender_poll_interval,
        concurrency=settings.sender_concurrency,
        max_backoff=settings.sender_max_backoff,
    )
    store.on_commit = sender.wake
    dispatcher = Dispatcher()
    dispatcher["ctx"] = ctx
    dispatcher.update.outer_middleware(UnitOfWorkMiddleware(store, ctx))
    dispatcher.include_routers(
        buttons.build_router(),
        team.build_router(),
        client.build_router(),
        desk.build_router(desk_chat_id),
    )
    return Veil(settings, store, ctx, bot, dispatcher, sender)
