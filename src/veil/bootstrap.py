"""The one place where real or fake adapters are wired together."""

from __future__ import annotations

import asyncio
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
from veil.i18n import default_catalog
from veil.jobs import desk_watch, housekeeping
from veil.services.agents import sync_admins
from veil.services.context import Context
from veil.services.desks import Desks
from veil.services.ports import Clock
from veil.store import db
from veil.store.host_people import HostTableUnreadable, HostUsersTable
from veil.store.uow import SqlStore
from veil.system import random_suffix, random_token, utcnow
from veil.telegram import buttons, client, desk, team
from veil.telegram.flood import MemoryFloodGate
from veil.telegram.flood_redis import RedisFloodGate
from veil.telegram.metrics import DeliveryMetrics, watch_backlog
from veil.telegram.metrics import serve as serve_metrics
from veil.telegram.middlewares import UnitOfWorkMiddleware
from veil.telegram.polling import Poller
from veil.telegram.redis_conn import RedisUnavailable, connect_redis, redact
from veil.telegram.sender import OutboxSender

log = logging.getLogger(__name__)

BACKLOG_INTERVAL = 5.0  # seconds between readings of the outbox backlog for the gauges


@dataclass
class Veil:
    settings: Settings
    store: SqlStore
    ctx: Context
    bot: Bot
    dispatcher: Dispatcher
    senders: list[OutboxSender]
    metrics: DeliveryMetrics

    async def prepare(self) -> None:
        """Migrate the database and make sure the configured admins are admins."""
        await db.upgrade(self.store.engine)
        await self.check_host_users()
        async with self.store() as uow:
            demoted = await sync_admins(uow, self.ctx, self.settings.admin_ids)
            if demoted:
                log.warning("%s admin(s) no longer in VEIL_ADMIN_IDS lost the role", len(demoted))
            # Desk groups Telegram moved while the settings still name the old id.
            self.ctx.desks.apply_moves(await uow.desk_moves.all())
            await uow.commit()

    async def check_host_users(self) -> None:
        mapping = self.store.host_users
        if mapping is None:
            return
        async with self.store() as uow:
            try:
                await mapping.check(uow.session)
            except HostTableUnreadable as exc:
                raise ConfigError(f"VEIL_HOST_USERS_TABLE: {exc}") from None
        log.info("people's roles read from the host's table %s", mapping.name)

    async def share_flood_control(self) -> None:
        """With Redis configured, every process paces against the same buckets."""
        if not self.settings.redis_url:
            return
        try:
            client = await connect_redis(self.settings.redis_url)
        except RedisUnavailable as exc:
            raise ConfigError(f"VEIL_REDIS_URL: {exc}") from None
        gate = RedisFloodGate(
            client, self.settings.flood_limits(), namespace=self.settings.redis_namespace
        )
        for sender in self.senders:
            sender.gate = gate
        log.info("flood control shared through Redis at %s", redact(self.settings.redis_url))

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
        log.info("serving as @%s", me.username)
        for desk_id in self.ctx.desks.chat_ids:
            await self._check_desk(desk_id, me.username or "the bot")

    async def _check_desk(self, desk_id: int, username: str) -> None:
        try:
            desk = await self.bot.get_chat(desk_id)
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            raise ConfigError(
                f"desk group {desk_id}: Telegram says {exc.message!r}. Add @{username} "
                "to the agents' supergroup as an administrator (VEIL_DESK_CHAT_ID)."
            ) from None
        if not desk.is_forum:
            raise ConfigError(
                f"desk group {desk_id} ({desk.title!r}) has no topics: enable Topics in "
                "the group's settings, so that each ticket gets its own topic."
            )
        log.info("desk group %r (%s) ready", desk.title, desk_id)

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
        await self.share_flood_control()
        await self.announce_commands()
        sending = [
            asyncio.create_task(sender.run(), name=f"outbox-sender-{n}")
            for n, sender in enumerate(self.senders)
        ]
        backlog = asyncio.create_task(
            watch_backlog(self.metrics, self.store, self.ctx.clock, BACKLOG_INTERVAL),
            name="backlog-gauges",
        )
        exposing = None
        if self.settings.metrics_port is not None:
            exposing = await serve_metrics(
                self.metrics, self.settings.metrics_host, self.settings.metrics_port
            )
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
        poller = Poller(
            self.bot,
            self.dispatcher,
            timeout=self.settings.polling_timeout,
            concurrency=self.settings.update_concurrency,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        )
        polling = asyncio.create_task(poller.run(stop), name="polling")
        await stop.wait()
        log.info("stopping")
        for sender in self.senders:
            sender.stop()
        backlog.cancel()
        await asyncio.gather(polling, *sending, tidying, watching, backlog, return_exceptions=True)
        if exposing is not None:
            await exposing.cleanup()
        await self.senders[0].gate.close()

    async def close(self) -> None:
        await self.bot.session.close()
        await self.store.engine.dispose()


def host_users_of(settings: Settings) -> HostUsersTable | None:
    """The mapping onto the host's users table, when one is configured."""
    if settings.host_users_table is None:
        return None
    return HostUsersTable(
        settings.host_users_table,
        telegram_id_column=settings.host_users_telegram_id_column,
        role_column=settings.host_users_role_column,
        language_column=settings.host_users_language_column,
        roles=dict(settings.host_roles),
    )


def build(settings: Settings, *, clock: Clock = utcnow) -> Veil:
    token, desk_chat_id = settings.require_bot()
    store = SqlStore(
        db.make_engine(settings.database_url), clock, host_users=host_users_of(settings)
    )
    desks = Desks(settings.desk_groups())
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
        desk_groups=desks,
    )
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(settings.telegram_api_url),
        timeout=settings.request_timeout,
    )
    bot = Bot(token, session=session)
    # In memory until serve() connects Redis, when one is configured.
    gate = MemoryFloodGate(settings.flood_limits())
    metrics = DeliveryMetrics()
    senders = [
        OutboxSender(
            bot,
            store,
            ctx,
            gate,
            metrics=metrics,
            limits=settings.flood_limits(),
            poll_interval=settings.sender_poll_interval,
            concurrency=settings.sender_concurrency,
            max_backoff=settings.sender_max_backoff,
            lease=settings.sender_lease_seconds,
            bundle_after=settings.sender_bundle_after,
        )
        for _ in range(settings.sender_workers)
    ]

    def wake_senders() -> None:
        for sender in senders:
            sender.wake()

    store.on_commit = wake_senders
    dispatcher = Dispatcher()
    dispatcher["ctx"] = ctx
    dispatcher.update.outer_middleware(UnitOfWorkMiddleware(store, ctx))
    dispatcher.include_routers(
        buttons.build_router(),
        team.build_router(),
        client.build_router(),
        desk.build_router(),
    )
    return Veil(settings, store, ctx, bot, dispatcher, senders, metrics)
