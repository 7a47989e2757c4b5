"""Delivers the outbox to Telegram: paced under the flood limits, in order, never lost.

Each lane (a private chat, a ticket's topic) has at most one delivery in flight, so
order holds per chat; other lanes go on meanwhile, so a slow or failing chat holds up
only itself. Before a lane's head goes, the flood gate must have room for its chat
(1 a second per private chat, 20 a minute per group, 30 a second in all), so 429s are
rare; while a desk group's budget is short, a ticket's waiting texts go as one bundle
and an album as one call.

Several workers (tasks of one process, or processes on one PostgreSQL) may run: a
worker claims rows before sending them, for a lease. Resolving an address, claiming and
recording the result happen in short transactions *around* the HTTP call, never across
it. A worker that dies between the call and the record lets its claim run out, and the
row goes again: at most one duplicate per lane and crash.

What happens on an error:
- 429: that chat pauses for ``retry_after`` (through the gate, for every worker), the
  others go on.
- network trouble, 5xx, 401/404/409: retried with backoff and jitter, forever (these
  pass; dropping the message would not).
- a migrated desk group: its tickets move to the new chat id, and the row goes again.
- the desk refusing us (kicked, not a forum, no rights): retried at the longest backoff
  and logged loudly, so an operator can fix it without losing anything.
- 403 from a client: the message is marked failed and the ticket's agents are told.
- any other 400: the delivery is malformed and can never succeed: failed and logged
  (a bundle that fails so is taken apart, and its texts go one by one).
- an unexpected exception: retried a few times, then failed and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)

from veil.domain.bundling import Piece, bundle
from veil.domain.pacing import FloodLimits
from veil.services import outbound
from veil.services.context import Context
from veil.services.deliveries import CopyContent, SendText, UserChat, mergeable
from veil.services.ports import PendingDelivery, UnitOfWork, UnitOfWorkFactory
from veil.telegram.calls import THREAD_GONE, DeliveryCalls, Learned
from veil.telegram.flood import FloodGate
from veil.telegram.menus import Menus
from veil.telegram.metrics import DeliveryMetrics
from veil.telegram.presses import PressCodec

log = logging.getLogger(__name__)

BATCH = 200
RUN_LIMIT = 50  # rows looked at after a lane's head when bundling
ALBUM_LIMIT = 10  # Telegram's album size
# What Telegram answers when what was asked for is so already: nothing left to do.
NOT_MODIFIED = ("message is not modified", "TOPIC_NOT_MODIFIED")
DESK_SETUP_ERRORS = ("chat not found", "the chat is not a forum", "not enough rights")
UNEXPECTED_ATTEMPTS = 5
BOOKKEEPING_ATTEMPTS = 8


class Verdict(enum.Enum):
    DONE = "done"
    RETRY = "retry"  # transient: back off and try again, without limit
    WAIT_FOR_OPERATOR = "wait"  # the desk is misconfigured: longest backoff, loud logs
    UNREACHABLE = "unreachable"  # the person blocked the bot or left
    FAIL = "fail"  # can never succeed
    UNEXPECTED = "unexpected"  # a bug or a store problem: a few retries, then fail


def _desk_lane(lane: str) -> bool:
    return lane.startswith("topic:") or lane.startswith("chat:-")


def classify(exc: BaseException, lane: str) -> Verdict:
    """What an error from Telegram means for the delivery that met it.

    429 (TelegramRetryAfter) and a migrated group (TelegramMigrateToChat) never get
    here: ``_deliver`` handles both first, since each needs more than a verdict."""
    if isinstance(exc, TelegramForbiddenError):
        return Verdict.WAIT_FOR_OPERATOR if _desk_lane(lane) else Verdict.UNREACHABLE
    if isinstance(exc, TelegramBadRequest):
        if any(already in exc.message for already in NOT_MODIFIED):
            return Verdict.DONE  # the other side already shows this content
        if _desk_lane(lane) and any(e in exc.message for e in DESK_SETUP_ERRORS):
            return Verdict.WAIT_FOR_OPERATOR
        if _desk_lane(lane) and THREAD_GONE in exc.message:
            return Verdict.RETRY  # the new topic went too: the next try opens another
        return Verdict.FAIL
    if isinstance(exc, TelegramAPIError | TimeoutError | OSError):
        return Verdict.RETRY  # 5xx, network, 401, 404, 409
    return Verdict.UNEXPECTED


@dataclass(frozen=True)
class Batch:
    """A lane's head, and the rows after it that go in the same call."""

    rows: list[PendingDelivery]

    @property
    def head(self) -> PendingDelivery:
        return self.rows[0]

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.rows]

    @property
    def messages(self) -> int:
        """Messages the call posts, as the flood limits count them."""
        return len(self.rows) if isinstance(self.head.delivery, CopyContent) else 1


def album_run(head: PendingDelivery, after: Sequence[PendingDelivery]) -> list[PendingDelivery]:
    """The head and the rest of its album, when one copyMessages call can carry them."""
    first = head.delivery
    if not isinstance(first, CopyContent) or first.album is None or not first.verbatim:
        return [head]
    if first.reply_to_record is not None:
        return [head]  # copyMessages cannot reply; the album goes item by item
    run = [head]
    for row in after:
        d = row.delivery
        if (
            len(run) == ALBUM_LIMIT
            or not isinstance(d, CopyContent)
            or (d.album, d.verbatim, d.to, d.source) != (first.album, True, first.to, first.source)
            or d.reply_to_record is not None
        ):
            break
        run.append(row)
    return run


def text_run(head: PendingDelivery, after: Sequence[PendingDelivery]) -> list[PendingDelivery]:
    """The head and the client texts right after it that fit one desk message together.

    Exactly what the bundle carries: every row of a batch is marked sent with it.
    """
    run = [head]
    for row in after:
        d = row.delivery
        if not mergeable(d) or getattr(d, "reply_to_record", None) is not None:
            break
        run.append(row)
    pieces = [
        Piece(d.text, d.entities) for d in (r.delivery for r in run) if isinstance(d, SendText)
    ]
    return run[: bundle(pieces).count] if len(pieces) == len(run) else [head]


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        units: UnitOfWorkFactory,
        ctx: Context,
        gate: FloodGate,
        *,
        presses: PressCodec,
        metrics: DeliveryMetrics | None = None,
        limits: FloodLimits | None = None,
        poll_interval: float = 0.5,
        concurrency: int = 8,
        max_backoff: float = 60.0,
        lease: float = 60.0,
        bundle_after: float = 1.0,
        name: str | None = None,
        menus: Menus | None = None,
        reader: UnitOfWorkFactory | None = None,
    ) -> None:
        self.metrics = metrics or DeliveryMetrics()
        self._calls = DeliveryCalls(bot, units, ctx, self.metrics, presses, menus)
        self._units = units
        # Where the lanes' heads are looked at: a unit that only reads (on SQLite it takes
        # no write lock, which each pass would otherwise hold while its rows are read).
        # The claim that follows is conditional, under the write lock, so a head read a
        # moment too early is only a claim that fails.
        self._reader = reader or units
        self._ctx = ctx
        self.gate = gate
        self.limits = limits or FloodLimits()  # what the gate paces to
        self._poll_interval = poll_interval
        self._concurrency = concurrency
        self._max_backoff = max_backoff
        self._lease = timedelta(seconds=lease)
        # A client's texts are bundled only once they queue behind the flood budget;
        # a text this old has been waiting for it (an idle desk sends within ms).
        self._bundle_after = timedelta(seconds=bundle_after)
        self.worker = name or f"w-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._blocked: dict[str, float] = {}  # chat -> monotonic time its budget returns
        self._solo: set[int] = set()  # heads whose bundle Telegram refused: go alone
        self._told_unreachable: set[int] = set()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        log.info("outbox sender %s started", self.worker)
        while not self._stopping:
            self._wake.clear()
            pause = self._poll_interval
            try:
                pause = min(pause, await self._start_ready())
            except Exception:
                # A store hiccup must not end delivery: log it and try again next pass.
                log.exception("outbox pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.005, pause))
        # Let deliveries under way finish and record their outcome before leaving.
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        log.info("outbox sender %s stopped", self.worker)

    async def _start_ready(self) -> float:
        """Start every ready lane head the budgets allow; returns the seconds until a
        waiting chat's budget comes back (or the poll interval)."""
        free = self._concurrency - len(self._in_flight)
        if free <= 0:
            return self._poll_interval
        async with self._reader() as uow:
            heads = await uow.outbox.heads(self._ctx.clock(), BATCH)
        soonest = self._poll_interval
        chosen: list[Batch] = []
        taken_chats: set[str] = set()
        for head in heads:
            if len(chosen) >= free:
                break
            if head.lane in self._in_flight:
                continue
            if head.chat is not None:
                wait = await self._budget_wait(head)
                if wait > 0 or head.chat in taken_chats:
                    soonest = min(soonest, max(wait, 0.005))
                    continue
                taken_chats.add(head.chat)  # one per chat a pass: the gate decides the next
            chosen.append(await self._batch_of(head))
        for batch in await self._claim(chosen):
            if not await self._reserve(batch):
                soonest = min(soonest, 0.05)
                continue
            self._launch(batch)
        return soonest

    async def _budget_wait(self, head: PendingDelivery) -> float:
        assert head.chat is not None
        now = time.monotonic()
        if self._blocked.get(head.chat, 0.0) > now:
            return self._blocked[head.chat] - now
        wait = await self.gate.wait_time(head.chat, head.is_group)
        if wait > 0:
            self._blocked[head.chat] = now + wait
        return wait

    async def _batch_of(self, head: PendingDelivery) -> Batch:
        d = head.delivery
        may_bundle = head.id not in self._solo and (
            mergeable(d) or (isinstance(d, CopyContent) and d.album is not None)
        )
        if not may_bundle:
            return Batch([head])
        if not isinstance(d, CopyContent) and not self._queued(head):
            return Batch([head])  # no budget pressure: each text goes as written
        async with self._reader() as uow:
            after = list(await uow.outbox.following(head, RUN_LIMIT))
        if isinstance(d, CopyContent):
            return Batch(album_run(head, after))
        return Batch(text_run(head, after))

    def _queued(self, head: PendingDelivery) -> bool:
        """Has the head waited long enough that its chat's budget must be the reason?"""
        if head.created_at is None:
            return False
        return self._ctx.clock() - head.created_at >= self._bundle_after

    async def _claim(self, batches: list[Batch]) -> list[Batch]:
        """The batches this worker now holds; another worker may hold some of them."""
        if not batches:
            return []
        now = self._ctx.clock()
        held: list[Batch] = []
        async with self._units() as uow:
            for batch in batches:
                if await uow.outbox.claim(batch.ids, self.worker, now, now + self._lease):
                    held.append(batch)
            await uow.commit()
        return held

    async def _reserve(self, batch: Batch) -> bool:
        """Take the flood budget for the batch; a worker that lost the race lets go."""
        head = batch.head
        if head.chat is None:
            return True
        wait = await self.gate.reserve(head.chat, head.is_group, batch.messages)
        if wait <= 0:
            return True
        self._blocked[head.chat] = time.monotonic() + wait
        await self._bookkeep(lambda uow: uow.outbox.release(batch.ids))
        return False

    def _launch(self, batch: Batch) -> None:
        lane = batch.head.lane
        task = asyncio.create_task(self._deliver(batch), name=f"deliver-{lane}")
        self._in_flight[lane] = task
        task.add_done_callback(functools.partial(self._finished, lane))

    def _finished(self, lane: str, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(lane, None)
        self._wake.set()  # the lane's next delivery may go now

    async def _deliver(self, batch: Batch) -> None:
        await self._settle_debt(batch)
        try:
            learned = await self._calls.perform([row.delivery for row in batch.rows])
        except TelegramRetryAfter as exc:
            await self._too_many(batch, float(exc.retry_after))
        except TelegramMigrateToChat as exc:
            await self._migrated(batch, exc.migrate_to_chat_id)
        except Exception as exc:
            await self._handle(batch, exc)
        else:
            await self._done(batch, learned)

    async def _settle_debt(self, batch: Batch) -> None:
        """An album took the budget of all its items at once; it goes when the last of
        them would have gone one by one. Telegram counts the items over a sliding window,
        so sending them earlier would overrun it when the chat is busy."""
        head = batch.head
        if batch.messages <= 1 or head.chat is None:
            return
        rate, _ = self.limits.bucket("group" if head.is_group else "private")
        await asyncio.sleep((batch.messages - 1) / rate)

    async def _too_many(self, batch: Batch, retry_after: float) -> None:
        self.metrics.too_many.inc()
        head = batch.head
        if head.chat is not None:
            await self.gate.pause(head.chat, retry_after)
            self._blocked[head.chat] = time.monotonic() + retry_after
        await self._later(batch, retry_after, f"429 retry after {retry_after:g}", attempt=False)

    async def _migrated(self, batch: Batch, new_chat_id: int) -> None:
        head = batch.head
        old = int(head.chat.removeprefix("chat:")) if head.chat else None
        if old is None or old >= 0 or not self._ctx.desks.is_desk(old):
            await self._later(batch, self._backoff(head.attempts), "migrated chat: not a desk")
            return

        async def follow(uow: UnitOfWork) -> None:
            await outbound.desk_moved(uow, self._ctx, old, new_chat_id)

        await self._bookkeep(follow)
        await self._later(batch, 0.0, f"desk moved to {new_chat_id}", attempt=False)

    async def _handle(self, batch: Batch, exc: Exception) -> None:
        head = batch.head
        verdict = classify(exc, head.lane)
        error = getattr(exc, "message", None) or repr(exc)
        if verdict is Verdict.DONE:
            await self._done(batch, [])
        elif verdict is Verdict.RETRY:
            self.metrics.retries.labels("transient").inc()
            await self._later(batch, self._backoff(head.attempts), error)
        elif verdict is Verdict.WAIT_FOR_OPERATOR:
            log.error("the desk group refuses the bot's messages (%s); waiting", error)
            self.metrics.retries.labels("desk_setup").inc()
            await self._later(batch, self._max_backoff, error)
        elif verdict is Verdict.FAIL and len(batch.rows) > 1:
            log.warning("bundle of %s refused (%s); sending one by one", len(batch.rows), error)
            self._solo.add(head.id)
            await self._later(batch, 0.0, error, attempt=False)
        elif verdict is Verdict.UNREACHABLE:
            await self._unreachable(batch, error)
        elif verdict is Verdict.UNEXPECTED and head.attempts + 1 < UNEXPECTED_ATTEMPTS:
            log.exception("delivery %s met an unexpected error; will retry", head.id)
            self.metrics.retries.labels("unexpected").inc()
            await self._later(batch, self._backoff(head.attempts), error)
        else:
            await self._fail(batch, error)

    def _backoff(self, attempts: int) -> float:
        base = min(self._max_backoff, 0.5 * 2.0**attempts)
        jitter: float = random.uniform(0.5, 1.0)  # spreads the retries of many lanes
        return base * jitter

    async def _done(self, batch: Batch, learned: list[Learned]) -> None:
        async def record(uow: UnitOfWork) -> None:
            for item in learned:
                await outbound.record_delivered(
                    uow, item.record, item.side, item.chat_id, item.message_id
                )
            await uow.outbox.mark_sent(batch.ids, self._ctx.clock())

        await self._bookkeep(record)
        self.metrics.delivered.inc(len(batch.rows))
        if len(batch.rows) > 1 and not isinstance(batch.head.delivery, CopyContent):
            self.metrics.bundled.inc(len(batch.rows))
        self._solo.discard(batch.head.id)

    async def _later(self, batch: Batch, delay: float, error: str, *, attempt: bool = True) -> None:
        head = batch.head
        log.warning("delivery %s (%s) postponed %.1fs: %s", head.id, head.lane, delay, error)
        when = self._ctx.clock() + timedelta(seconds=delay)

        async def postpone(uow: UnitOfWork) -> None:
            await uow.outbox.retry_later(head.id, when, error, attempt=attempt)
            if len(batch.rows) > 1:
                await uow.outbox.release(batch.ids[1:])

        await self._bookkeep(postpone)

    async def _fail(self, batch: Batch, error: str) -> None:
        head = batch.head
        log.error("delivery %s (%s) failed for good: %s", head.id, head.lane, error)
        now = self._ctx.clock()

        async def give_up(uow: UnitOfWork) -> None:
            for row in batch.rows:
                await uow.outbox.mark_failed(row.id, now, error)

        await self._bookkeep(give_up)
        self.metrics.failed.inc(len(batch.rows))

    async def _unreachable(self, batch: Batch, error: str) -> None:
        await self._fail(batch, error)
        to = getattr(batch.head.delivery, "to", None)
        if isinstance(to, UserChat) and to.user_id not in self._told_unreachable:
            self._told_unreachable.add(to.user_id)
            await self._bookkeep(
                lambda uow: outbound.client_unreachable(uow, self._ctx, to.user_id)
            )

    async def _bookkeep(self, action: Callable[[UnitOfWork], Awaitable[None]]) -> None:
        """Record an outcome, trying hard: an unrecorded send would be sent again."""
        for attempt in range(1, BOOKKEEPING_ATTEMPTS + 1):
            try:
                async with self._units() as uow:
                    await action(uow)
                    await uow.commit()
                return
            except Exception:
                if attempt == BOOKKEEPING_ATTEMPTS:
                    log.exception("could not record a delivery's outcome; it may repeat")
                    return
                await asyncio.sleep(min(5.0, 0.1 * 2**attempt))
