"""Delivers the outbox to Telegram: one call at a time per lane, in order, never lost.

Each lane (a private chat, a ticket's topic) has at most one delivery in flight, so
order holds per chat; other lanes go on meanwhile, so a slow or failing chat holds up
only itself. Resolving an address and recording the result happen in short
transactions *around* the HTTP call, never across it. A crash between the call and the
record can repeat that one delivery: at most one duplicate per lane.

What happens on an error:
- 429: the lane waits ``retry_after``.
- network trouble, 5xx, 401/404/409, a migrated group: retried with backoff and jitter,
  forever (these pass; dropping the message would not).
- the desk refusing us (kicked, not a forum, no rights): retried at the longest backoff
  and logged loudly, so an operator can fix it without losing anything.
- 403 from a client: the message is marked failed and the ticket's agents are told.
- any other 400: the delivery is malformed and can never succeed: failed and logged.
- an unexpected exception: retried a few times, then failed and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)

from veil.services import outbound
from veil.services.context import Context
from veil.services.deliveries import UserChat
from veil.services.ports import PendingDelivery, UnitOfWork, UnitOfWorkFactory
from veil.telegram.calls import DeliveryCalls

log = logging.getLogger(__name__)

BATCH = 200
NOT_MODIFIED = "message is not modified"
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
    """What an error from Telegram means for the delivery that met it."""
    if isinstance(exc, TelegramForbiddenError):
        return Verdict.WAIT_FOR_OPERATOR if _desk_lane(lane) else Verdict.UNREACHABLE
    if isinstance(exc, TelegramBadRequest):
        if NOT_MODIFIED in exc.message:
            return Verdict.DONE  # the other side already shows this content
        if _desk_lane(lane) and any(e in exc.message for e in DESK_SETUP_ERRORS):
            return Verdict.WAIT_FOR_OPERATOR
        return Verdict.FAIL
    if isinstance(exc, TelegramAPIError | TimeoutError | OSError):
        return Verdict.RETRY  # 429, 5xx, network, 401, 404, 409, migration
    return Verdict.UNEXPECTED


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
        self._calls = DeliveryCalls(bot, units, ctx)
        self._units = units
        self._ctx = ctx
        self._poll_interval = poll_interval
        self._concurrency = concurrency
        self._max_backoff = max_backoff
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._finished_count = 0
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
            self._wake.clear()
            try:
                await self._start_ready()
            except Exception:
                # A store hiccup must not end delivery: log it and try again next pass.
                log.exception("outbox pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)
        # Let deliveries under way finish and record their outcome before leaving.
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        log.info("outbox sender stopped")

    async def _start_ready(self) -> None:
        """Start the head of every ready lane that is not already in flight."""
        free = self._concurrency - len(self._in_flight)
        if free <= 0:
            return
        heads = await self._fresh_heads()
        for pending in heads:
            if free <= 0:
                break
            if pending.lane in self._in_flight:
                continue
            task = asyncio.create_task(self._deliver(pending), name=f"deliver-{pending.lane}")
            self._in_flight[pending.lane] = task
            task.add_done_callback(functools.partial(self._finished, pending.lane))
            free -= 1

    async def _fresh_heads(self) -> list[PendingDelivery]:
        """Lane heads read while no delivery finished.

        A delivery that finishes during the read has recorded its outcome and left the
        in-flight set, yet the read may predate that record: its row would look pending
        and not in flight, and go out a second time. Such a read is thrown away.
        """
        while True:
            generation = self._finished_count
            async with self._units() as uow:
                heads = await uow.outbox.heads(self._ctx.clock(), BATCH)
            if generation == self._finished_count:
                return list(heads)

    def _finished(self, lane: str, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(lane, None)
        self._finished_count += 1
        self._wake.set()  # the lane's next delivery may go now

    async def _deliver(self, pending: PendingDelivery) -> None:
        try:
            await self._calls.perform(pending.delivery)
        except TelegramRetryAfter as exc:
            await self._later(pending, float(exc.retry_after), f"429 retry after {exc.retry_after}")
        except Exception as exc:
            await self._handle(pending, exc)
        else:
            await self._done(pending)

    async def _handle(self, pending: PendingDelivery, exc: Exception) -> None:
        verdict = classify(exc, pending.lane)
        error = getattr(exc, "message", None) or repr(exc)
        if verdict is Verdict.DONE:
            await self._done(pending)
        elif verdict is Verdict.RETRY:
            await self._later(pending, self._backoff(pending.attempts), error)
        elif verdict is Verdict.WAIT_FOR_OPERATOR:
            log.error("the desk group refuses the bot's messages (%s); waiting", error)
            await self._later(pending, self._max_backoff, error)
        elif verdict is Verdict.UNREACHABLE:
            await self._unreachable(pending, error)
        elif verdict is Verdict.UNEXPECTED and pending.attempts + 1 < UNEXPECTED_ATTEMPTS:
            log.exception("delivery %s met an unexpected error; will retry", pending.id)
            await self._later(pending, self._backoff(pending.attempts), error)
        else:
            await self._fail(pending, error)

    def _backoff(self, attempts: int) -> float:
        base = min(self._max_backoff, 0.5 * 2.0**attempts)
        jitter: float = random.uniform(0.5, 1.0)  # spreads the retries of many lanes
        return base * jitter

    async def _done(self, pending: PendingDelivery) -> None:
        await self._bookkeep(lambda uow: uow.outbox.mark_sent(pending.id, self._ctx.clock()))
        self.delivered += 1

    async def _later(self, pending: PendingDelivery, delay: float, error: str) -> None:
        log.warning("delivery %s (%s) postponed %.1fs: %s", pending.id, pending.lane, delay, error)
        when = self._ctx.clock() + timedelta(seconds=delay)
        await self._bookkeep(lambda uow: uow.outbox.retry_later(pending.id, when, error))

    async def _fail(self, pending: PendingDelivery, error: str) -> None:
        log.error("delivery %s (%s) failed for good: %s", pending.id, pending.lane, error)
        await self._bookkeep(
            lambda uow: uow.outbox.mark_failed(pending.id, self._ctx.clock(), error)
        )
        self.failed += 1

    async def _unreachable(self, pending: PendingDelivery, error: str) -> None:
        await self._fail(pending, error)
        to = getattr(pending.delivery, "to", None)
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
