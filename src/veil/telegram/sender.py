"""Delivers the outbox to Telegram: one call at a time per lane, in order, never lost.

Each lane (a private chat, a ticket's topic) has at most one delivery in flight, so
order holds per chat; different lanes proceed side by side. Resolving an address and
recording the result happen in short transactions *around* the HTTP call, never
across it. A crash between the call and the record can repeat that one delivery:
at most one duplicate per lane.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    ReplyParameters,
)

from veil.services import desk, outbound
from veil.services.context import Context
from veil.services.deliveries import (
    AnswerCallback,
    Buttons,
    CloseTopic,
    CopyContent,
    Delivery,
    EditContent,
    OpenTopic,
    PostCard,
    SendText,
    UserChat,
)
from veil.services.outbound import Side, Target, TopicMissing
from veil.services.ports import PendingDelivery, UnitOfWorkFactory

log = logging.getLogger(__name__)

BATCH = 100
THREAD_GONE = "message thread not found"
NOT_MODIFIED = "message is not modified"


DESK_SETUP_ERRORS = ("chat not found", "the chat is not a forum", "not enough rights")


def _desk_misconfigured(message: str) -> bool:
    return any(error in message for error in DESK_SETUP_ERRORS)


def keyboard(buttons: Buttons) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows = [
        [InlineKeyboardButton(text=b.text, callback_data=b.data) for b in row] for row in buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _entities(raw: tuple[dict[str, object], ...]) -> list[MessageEntity] | None:
    return [MessageEntity.model_validate(e) for e in raw] or None


def _reply(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        units: UnitOfWorkFactory,
        ctx: Context,
        *,
        poll_interval: float = 0.5,
        concurrency: int = 8,
        max_backoff: float = 60.0,
    ) -> None:
        self._bot = bot
        self._units = units
        self._ctx = ctx
        self._poll_interval = poll_interval
        self._slots = asyncio.Semaphore(concurrency)
        self._max_backoff = max_backoff
        self._wake = asyncio.Event()
        self._stopping = False
        self._told_unreachable: set[int] = set()
        self.delivered = 0
        self.failed = 0

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        log.info("outbox sender started")
        while not self._stopping:
            try:
                handled = await self.deliver_once()
            except Exception:
                # A store hiccup must not end delivery: log it and try again next pass.
                log.exception("outbox pass failed; retrying")
                handled = 0
            if handled == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval)
        log.info("outbox sender stopped")

    async def deliver_once(self) -> int:
        """Deliver the head of every ready lane once; returns how many were attempted."""
        async with self._units() as uow:
            heads = await uow.outbox.heads(self._ctx.clock(), BATCH)
        await asyncio.gather(*(self._deliver(p) for p in heads))
        return len(heads)

    async def drain(self) -> None:
        """Deliver until nothing is ready (the demo uses it; wrap it in a timeout)."""
        while await self.deliver_once():
            pass

    async def _deliver(self, pending: PendingDelivery) -> None:
        async with self._slots:
            try:
                await self._perform(pending.delivery)
            except TelegramRetryAfter as exc:
                await self._later(
                    pending, float(exc.retry_after), f"429 retry after {exc.retry_after}"
                )
            except (TelegramNetworkError, TelegramServerError, TimeoutError) as exc:
                await self._later(pending, self._backoff(pending.attempts), repr(exc))
            except TelegramForbiddenError as exc:
                await self._forbidden(pending, exc)
            except TelegramBadRequest as exc:
                if NOT_MODIFIED in exc.message:
                    await self._done(pending)  # the other side already shows this content
                elif pending.lane.startswith("topic:") and _desk_misconfigured(exc.message):
                    # Failing would drop the desk's copy; waiting lets an operator fix it.
                    log.error("the desk group refuses messages: %s", exc.message)
                    await self._later(pending, self._max_backoff, exc.message)
                else:
                    await self._fail(pending, exc.message)
            except Exception as exc:
                # One bad row must not stop the others: it is marked failed and kept.
                log.exception("delivery %s failed", pending.id)
                await self._fail(pending, repr(exc))
            else:
                await self._done(pending)

    def _backoff(self, attempts: int) -> float:
        base = min(self._max_backoff, 0.5 * 2.0**attempts)
        jitter: float = random.uniform(0.5, 1.0)  # jitter spreads retries of many lanes
        return base * jitter

    async def _done(self, pending: PendingDelivery) -> None:
        async with self._units() as uow:
            await uow.outbox.mark_sent(pending.id, self._ctx.clock())
            await uow.commit()
        self.delivered += 1

    async def _later(self, pending: PendingDelivery, delay: float, error: str) -> None:
        log.warning("delivery %s postponed %.1fs: %s", pending.id, delay, error)
        async with self._units() as uow:
            when = self._ctx.clock() + timedelta(seconds=delay)
            await uow.outbox.retry_later(pending.id, when, error)
            await uow.commit()
        self.wake()

    async def _fail(self, pending: PendingDelivery, error: str) -> None:
        log.error("delivery %s (%s) failed for good: %s", pending.id, pending.lane, error)
        async with self._units() as uow:
            await uow.outbox.mark_failed(pending.id, self._ctx.clock(), error)
            await uow.commit()
        self.failed += 1

    async def _forbidden(self, pending: PendingDelivery, exc: TelegramForbiddenError) -> None:
        await self._fail(pending, exc.message)
        to = getattr(pending.delivery, "to", None)
        if isinstance(to, UserChat) and to.user_id not in self._told_unreachable:
            self._told_unreachable.add(to.user_id)
            async with self._units() as uow:
                await outbound.client_unreachable(uow, self._ctx, to.user_id)
                await uow.commit()

    # --- performing one delivery -------------------------------------------------

    async def _perform(self, delivery: Delivery) -> None:
        match delivery:
            case OpenTopic(ticket_id):
                await self._ensure_topic(ticket_id)
            case PostCard(ticket_id):
                await self._post_card(ticket_id)
            case CloseTopic(ticket_id):
                target = await self._target_of_topic(ticket_id)
                await self._bot.close_forum_topic(target.chat_id, target.thread_id or 0)
            case AnswerCallback(query_id, text, alert):
                await self._answer(query_id, text, alert)
            case SendText() | CopyContent() | EditContent():
                await self._with_topic_recovery(delivery)

    async def _with_topic_recovery(self, delivery: SendText | CopyContent | EditContent) -> None:
        try:
            await self._send(delivery)
        except TopicMissing as missing:
            await self._reopen_topic(missing.ticket_id)
            await self._send(delivery)
        except TelegramBadRequest as exc:
            ticket_id = getattr(delivery.to, "ticket_id", None)
            if THREAD_GONE not in exc.message or ticket_id is None:
                raise
            log.warning("topic of ticket %s was deleted; opening a new one", ticket_id)
            await self._reopen_topic(ticket_id, forget_old=True)
            await self._send(delivery)

    async def _send(self, delivery: SendText | CopyContent | EditContent) -> None:
        async with self._units() as uow:
            target = await outbound.resolve(uow, delivery.to)
            if isinstance(delivery, EditContent):
                reply_to = await outbound.message_id_on(uow, delivery.record, target.side)
            else:
                reply_to = await outbound.message_id_on(uow, delivery.reply_to_record, target.side)
            source = (
                await outbound.resolve(uow, delivery.source)
                if isinstance(delivery, CopyContent)
                else None
            )
        message_id = await self._call(delivery, target, reply_to, source)
        record = getattr(delivery, "record", None)
        if message_id is not None and record is not None and not isinstance(delivery, EditContent):
            async with self._units() as uow:
                await outbound.record_delivered(uow, record, target.side, message_id)
                await uow.commit()

    async def _call(
        self,
        delivery: SendText | CopyContent | EditContent,
        target: Target,
        reply_to: int | None,
        source: Target | None,
    ) -> int | None:
        if isinstance(delivery, SendText):
            sent = await self._bot.send_message(
                chat_id=target.chat_id,
                message_thread_id=target.thread_id,
                text=delivery.text,
                entities=_entities(delivery.entities),
                reply_markup=keyboard(delivery.buttons),
                reply_parameters=_reply(reply_to),
            )
            return sent.message_id
        if isinstance(delivery, CopyContent):
            assert source is not None
            copied = await self._bot.copy_message(
                chat_id=target.chat_id,
                message_thread_id=target.thread_id,
                from_chat_id=source.chat_id,
                message_id=delivery.message_id,
                caption=delivery.caption if delivery.has_caption else None,
                caption_entities=_entities(delivery.caption_entities)
                if delivery.has_caption
                else None,
                reply_parameters=_reply(reply_to),
            )
            return copied.message_id
        if reply_to is None:  # the original never reached this side: nothing to edit
            log.info("edit of an undelivered message dropped (record %s)", delivery.record)
            return None
        if delivery.is_caption:
            await self._bot.edit_message_caption(
                chat_id=target.chat_id,
                message_id=reply_to,
                caption=delivery.text,
                caption_entities=_entities(delivery.entities),
            )
        else:
            await self._bot.edit_message_text(
                chat_id=target.chat_id,
                message_id=reply_to,
                text=delivery.text,
                entities=_entities(delivery.entities),
            )
        return None

    async def _target_of_topic(self, ticket_id: int) -> Target:
        async with self._units() as uow:
            ticket = await uow.tickets.get(ticket_id)
            if ticket is None:
                raise LookupError(f"ticket {ticket_id} does not exist")
            if ticket.desk_topic_id is None:
                raise TopicMissing(ticket_id)
            return Target(ticket.desk_chat_id, ticket.desk_topic_id, Side.DESK)

    async def _ensure_topic(self, ticket_id: int, *, forget_old: bool = False) -> bool:
        """Open the ticket's topic unless it has one. True when a new topic was made."""
        async with self._units() as uow:
            ticket = await uow.tickets.get(ticket_id)
            if ticket is None:
                raise LookupError(f"ticket {ticket_id} does not exist")
            if ticket.desk_topic_id is not None and not forget_old:
                return False  # already open: a retry after a crash, or a replayed row
            chat_id, name = ticket.desk_chat_id, desk.topic_name(ticket)
        topic = await self._bot.create_forum_topic(chat_id=chat_id, name=name)
        async with self._units() as uow:
            await outbound.topic_opened(uow, ticket_id, topic.message_thread_id)
            await uow.commit()
        log.info("topic %s opened for ticket %s", topic.message_thread_id, ticket_id)
        return True

    async def _reopen_topic(self, ticket_id: int, *, forget_old: bool = False) -> None:
        if await self._ensure_topic(ticket_id, forget_old=forget_old):
            await self._post_card(ticket_id)

    async def _post_card(self, ticket_id: int) -> None:
        async with self._units() as uow:
            ticket = await uow.tickets.get(ticket_id)
            if ticket is None:
                raise LookupError(f"ticket {ticket_id} does not exist")
            text, buttons = await desk.card_view(uow, self._ctx, ticket)
            chat_id, thread_id = ticket.desk_chat_id, ticket.desk_topic_id
        if thread_id is None:
            await self._reopen_topic(ticket_id)
            return
        sent = await self._bot.send_message(
            chat_id=chat_id, message_thread_id=thread_id, text=text, reply_markup=keyboard(buttons)
        )
        async with self._units() as uow:
            await outbound.card_posted(uow, ticket_id, sent.message_id)
            await uow.commit()

    async def _answer(self, query_id: str, text: str | None, alert: bool) -> None:
        try:
            await self._bot.answer_callback_query(query_id, text=text, show_alert=alert)
        except TelegramBadRequest as exc:
            # Queries expire after a while; the action itself was done, so drop quietly.
            log.info("callback %s not answered: %s", query_id, exc.message)
