"""The one place where real or fake adapters are wired together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardButton
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from veil.config import ConfigError, Settings
from veil.domain.limits import Limits
from veil.i18n import Catalog, CatalogError, default_catalog
from veil.jobs import autopilot, desk_watch, housekeeping
from veil.services.agents import sync_admins
from veil.services.appointments import describe
from veil.services.client import open_ticket
from veil.services.context import Context, Sender
from veil.services.deliveries import StaffMenu
from veil.services.desks import Desks
from veil.services.ports import Appointments, Clock
from veil.store import db, keyfile
from veil.store.host_people import HostTableUnreadable, host_users_of
from veil.store.keyfile import keyring_of
from veil.store.legacy import LegacyRevisionError
from veil.store.limits import SqlRateLog
from veil.store.rate_redis import FallbackRateLog, RedisRateLog
from veil.store.state import kept
from veil.store.uow import SqlStore
from veil.system import random_suffix, random_token, utcnow
from veil.telegram import client
from veil.telegram.flood import MemoryFloodGate
from veil.telegram.flood_redis import RedisFloodGate
from veil.telegram.menus import Menus, quietly
from veil.telegram.metrics import DeliveryMetrics, watch_backlog
from veil.telegram.metrics import serve as serve_metrics
from veil.telegram.polling import Poller
from veil.telegram.presses import PressCodec, open_support
from veil.telegram.redis_conn import RedisUnavailable, connect_redis, redact
from veil.telegram.routers import build_router
from veil.telegram.scope import SUPPORT_ABOUT, Scope
from veil.telegram.sender import OutboxSender
from veil.telegram.webhook import SECRET_KEY, WebhookHandler, new_secret, webhook_app

log = logging.getLogger(__name__)

BACKLOG_INTERVAL = 5.0  # seconds between readings of the outbox backlog for the gauges


@dataclass
class Veil:
    """Veil, built and wired: as a bot of its own (``veil run``) or inside a host's bot.

    Inside a host, ``attach`` puts Veil's router on the host's Dispatcher, ``start`` and
    ``stop`` run its background work (outbox senders, jobs) in the host's event loop,
    and the host's updates fall through Veil untouched (``shared``).
    """

    settings: Settings
    store: SqlStore
    ctx: Context
    bot: Bot
    router: Router
    senders: list[OutboxSender]
    metrics: DeliveryMetrics
    shared: bool
    presses: PressCodec  # packs, signs and reads the callback data of Veil's buttons
    menus: Menus | None = None  # None: VEIL_MANAGE_COMMANDS=false
    dispatcher: Dispatcher | None = None  # Veil's own, as a bot of its own
    # Limits counted in Redis, falling back to the database (None: no Redis configured).
    rate_log: FallbackRateLog | None = None
    _background: list[asyncio.Task[Any]] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _exposing: web.AppRunner | None = None

    def attach(self, dispatcher: Dispatcher) -> None:
        """Include Veil's router. Attach it before the host's own routers: Veil takes only
        what is Veil's, and a host's catch-all handler would otherwise eat support chats."""
        dispatcher.include_router(self.router)

    def support_link(self, about: str | None = None) -> str:
        """The deep link that opens a support conversation, t.me/<bot>?start=support
        (or, ``about`` an appointment of the host's, ?start=support_<ref>)."""
        start = client.SUPPORT_DEEP_LINK
        if about is not None:
            open_support(about)  # the same rule as buttons: refuse a bad reference
            start = f"{SUPPORT_ABOUT}{about}"
        return f"https://t.me/{self.ctx.bot_username}?start={start}"

    def support_button(
        self, language: str | None = None, *, about: str | None = None
    ) -> InlineKeyboardButton:
        """A ready **Live Support** button for the host's own keyboards; ``about`` is the
        host's reference of an appointment the conversation is about (1-40 of A-Z, a-z,
        0-9, _ and -), which the host's ``Appointments.describe`` is asked about."""
        data = open_support(about)
        return InlineKeyboardButton(
            text=self.ctx.texts(language, "button-live-support"), callback_data=data
        )

    async def open_ticket(
        self, telegram_id: int, *, language: str | None = None, about: str | None = None
    ) -> str | None:
        """Open a support conversation for a user from the host's own code (or continue
        the open one), about an appointment if given; the client is told in their chat.
        Returns the ticket's id; None when a ban or a limit holds them back (they were
        told why)."""
        appointment = await describe(self.ctx, telegram_id, about)  # before the transaction
        async with self.store() as uow:
            uow.audit.acting_for(telegram_id)
            ticket = await open_ticket(uow, self.ctx, Sender(telegram_id, language), appointment)
            await uow.commit()
        return ticket.public_id if ticket is not None else None

    async def prepare(self) -> None:
        """Migrate the database and make sure the configured admins are admins."""
        try:
            await db.upgrade(self.store.engine)
        except (db.MigrationError, LegacyRevisionError) as exc:
            raise ConfigError(f"the database: {exc}") from None
        await keyfile.check(self.store.engine, self.ctx.clock())
        await self.check_host_users()
        async with self.store() as uow:
            demoted = await sync_admins(uow, self.ctx, self.settings.admin_ids)
            for agent in await uow.agents.all():  # each agent's menu, in today's languages
                uow.outbox.add(StaffMenu(agent.agent_id))
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
        database = SqlRateLog(self.store.engine)
        self.rate_log = FallbackRateLog(
            RedisRateLog(client, self.settings.redis_namespace),
            database,
            on_change=self.metrics.limits_degraded.set,
        )
        self.ctx = replace(self.ctx, rate_log=self.rate_log)
        log.info(
            "flood control and limits shared through Redis at %s", redact(self.settings.redis_url)
        )

    async def check_telegram(self) -> None:
        """Fail fast, with a clear message, when Telegram rejects the token or the desk."""
        try:
            # bot.me() keeps the answer: a command naming a bot (/note@name) is checked
            # against it by aiogram's filter, which would otherwise ask Telegram again.
            me = await self.bot.me()
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
        """The command menus: clients', each desk group's (staff get theirs as they join,
        see ``StaffMenu``); merged with a host's own, never replacing them."""
        if self.menus is None:
            return
        await quietly("clients", self.menus.for_clients())
        for desk_id in self.ctx.desks.chat_ids:
            await quietly(f"desk group {desk_id}", self.menus.for_desk(desk_id))

    async def startup(self) -> None:
        """For a host's ``dispatcher.startup``: migrate, then start the background work."""
        await self.prepare()
        await self.start()

    async def shutdown(self) -> None:
        """For a host's ``dispatcher.shutdown``: stop the background work, close up."""
        await self.stop()
        await self.close()

    async def start(self) -> None:
        """Check Telegram, then run the background work until ``stop``: the outbox
        senders, the jobs, the gauges. Call ``prepare`` first (it migrates)."""
        await self.check_telegram()
        await self.share_flood_control()
        await self.announce_commands()
        self._stopping.clear()
        self._background = [
            asyncio.create_task(sender.run(), name=f"outbox-sender-{n}")
            for n, sender in enumerate(self.senders)
        ]
        self._background += [
            asyncio.create_task(
                watch_backlog(self.metrics, self.store, self.ctx.clock, BACKLOG_INTERVAL),
                name="backlog-gauges",
            ),
            asyncio.create_task(
                housekeeping.run_periodically(
                    self.store,
                    self.ctx.clock,
                    self.settings.housekeeping_interval,
                    self._stopping,
                    retention=(
                        timedelta(days=self.settings.retention_days)
                        if self.settings.retention_days
                        else None
                    ),
                ),
                name="housekeeping",
            ),
            asyncio.create_task(
                desk_watch.run_periodically(
                    self.store,
                    self.ctx,
                    every=self.settings.watch_interval,
                    grace=timedelta(seconds=self.settings.offline_grace_seconds),
                    threshold=timedelta(seconds=self.settings.queue_alert_seconds),
                    stop=self._stopping,
                ),
                name="desk-watch",
            ),
            asyncio.create_task(
                autopilot.run_periodically(
                    self.store,
                    self.ctx,
                    every=self.settings.autopilot_seconds,
                    stop=self._stopping,
                ),
                name="autopilot",
            ),
        ]
        if self.settings.metrics_port is not None:
            self._exposing = await serve_metrics(
                self.metrics, self.settings.metrics_host, self.settings.metrics_port
            )

    async def stop(self) -> None:
        """Stop the background work; deliveries not yet made stay in the outbox."""
        log.info("stopping")
        self._stopping.set()
        for sender in self.senders:
            sender.stop()
        for task in self._background:
            if task.get_name() == "backlog-gauges":
                task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._background = []
        if self._exposing is not None:
            await self._exposing.cleanup()
            self._exposing = None
        await self.senders[0].gate.close()

    async def serve(self, stop: asyncio.Event) -> None:
        """As a bot of its own: poll Telegram and deliver the outbox until ``stop`` is set."""
        if self.dispatcher is None:
            raise RuntimeError("serve() is for a bot of its own; a host polls itself")
        await self.start()
        try:
            if self.settings.webhook_url:
                await self._serve_webhook(self.dispatcher, self.settings.webhook_url, stop)
            else:
                await self._poll(self.dispatcher, stop)
        finally:
            await self.stop()

    async def _poll(self, dispatcher: Dispatcher, stop: asyncio.Event) -> None:
        poller = Poller(
            self.bot,
            dispatcher,
            timeout=self.settings.polling_timeout,
            concurrency=self.settings.update_concurrency,
            allowed_updates=dispatcher.resolve_used_update_types(),
        )
        polling = asyncio.create_task(poller.run(stop), name="polling")
        await stop.wait()
        await asyncio.gather(polling, return_exceptions=True)

    async def _serve_webhook(self, dispatcher: Dispatcher, url: str, stop: asyncio.Event) -> None:
        secret = await self.webhook_secret()
        handler = WebhookHandler(self.bot, dispatcher, secret)
        host, port = self.settings.webhook_address()
        runner = web.AppRunner(webhook_app(handler, urlsplit(url).path), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            log.info("listening for Telegram's webhook on %s:%s", host, port)
            await self.bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=dispatcher.resolve_used_update_types(),
                drop_pending_updates=False,
            )
            log.info("webhook set to %s", redact(url))
            await stop.wait()
        finally:
            # The webhook stays set: Telegram keeps the updates until Veil is back.
            await runner.cleanup()

    async def webhook_secret(self) -> str:
        """VEIL_WEBHOOK_SECRET, or one generated once and kept in the database."""
        if self.settings.webhook_secret is not None:
            return self.settings.webhook_secret.get_secret_value()
        return await kept(self.store.engine, SECRET_KEY, new_secret, self.ctx.clock())

    async def close(self) -> None:
        """Release what Veil opened: the database, and the bot's session when it is Veil's."""
        if not self.shared:
            await self.bot.session.close()
        await self.store.close()


def catalog_of(settings: Settings) -> Catalog:
    """Veil's texts, with the operator's directory of .ftl files over them when set."""
    if settings.locales_dir is None:
        return default_catalog()
    try:
        return Catalog(overrides=settings.locales_dir)
    except CatalogError as exc:
        raise ConfigError(f"VEIL_LOCALES_DIR: {exc}") from None


def build(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    bot: Bot | None = None,
    engine: AsyncEngine | None = None,
    appointments: Appointments | None = None,
    engine_options: Mapping[str, Any] | None = None,
) -> Veil:
    """Veil from its settings. A host passes its own ``bot`` (and, to share its database,
    its ``engine``): Veil then shares the bot, taking only what is Veil's. A host that
    passes ``appointments`` gets tickets about its appointments."""
    shared = bot is not None
    if bot is None:
        session = AiohttpSession(
            api=TelegramAPIServer.from_base(settings.telegram_api_url),
            timeout=settings.request_timeout,
        )
        bot = Bot(settings.require_token(), session=session)
    desk_chat_id = settings.require_desk()
    # Veil's own pool, on the host's database when the host shares its engine: Veil's
    # transactions keep their own rules (SQLite's write lock up front) without imposing
    # them on the host's connections.
    # ``engine_options`` carry what the URL cannot (connect_args such as an SSL context, or
    # asyncpg's statement_cache_size=0 behind PgBouncer).
    url = engine.url.render_as_string(hide_password=False) if engine else settings.database_url
    if (
        engine is not None
        and engine.dialect.name == "sqlite"
        and engine.url.database
        in (
            None,
            "",
            ":memory:",
        )
    ):
        raise ConfigError("Veil shares a database file with its host, not an in-memory SQLite")
    store = SqlStore(
        db.make_engine(url, keyring=keyring_of(settings), **dict(engine_options or {})),
        clock,
        host_users=host_users_of(settings),
    )
    desks = Desks(settings.desk_groups())
    texts = catalog_of(settings)
    ctx = Context(
        clock=clock,
        texts=texts,
        new_suffix=random_suffix,
        desk_chat_id=desk_chat_id,
        desk_language=settings.desk_language,
        admin_ids=frozenset(settings.admin_ids),
        new_token=random_token,
        default_capacity=settings.agent_capacity,
        invite_lifetime=timedelta(hours=settings.invite_ttl_hours),
        desk_groups=desks,
        appointments=appointments,
        soon=timedelta(hours=settings.appointment_soon_hours),
        limits=Limits(
            tickets_per_day=settings.tickets_per_day,
            messages_per_hour=settings.messages_per_hour,
            desk_actions_per_minute=settings.desk_actions_per_minute,
        ),
        rate_log=SqlRateLog(store.engine),  # Redis's when start() connects it
        masking=settings.masking,
        sla=settings.sla_policy(),
        auto_close=timedelta(seconds=settings.auto_close_seconds),
        auto_close_warning=timedelta(seconds=settings.auto_close_warning_seconds),
        reopen_window=timedelta(seconds=settings.reopen_window_seconds),
        report_at=time.fromisoformat(settings.report_time) if settings.daily_report else None,
    )
    menus = Menus(bot, texts, texts.languages, shared=shared) if settings.manage_commands else None
    presses = PressCodec(store.keyring, clock, timedelta(seconds=settings.button_lifetime_seconds))
    # In memory until start() connects Redis, when one is configured.
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
            menus=menus,
            presses=presses,
            reader=store.peek,
        )
        for _ in range(settings.sender_workers)
    ]

    def wake_senders() -> None:
        for sender in senders:
            sender.wake()

    store.on_commit = wake_senders
    holder: list[Veil] = []
    scope = Scope(peek=store.peek, context=lambda: holder[0].ctx, shared=shared, presses=presses)
    router = build_router(scope, store, lambda: holder[0].ctx, store.keyring.lookup)
    veil = Veil(settings, store, ctx, bot, router, senders, metrics, shared, presses, menus)
    holder.append(veil)
    if not shared:
        veil.dispatcher = Dispatcher()
        veil.attach(veil.dispatcher)
    return veil
