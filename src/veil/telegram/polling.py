"""Long polling that confirms a batch of updates only once every one of them committed.

aiogram's own polling either handles updates one by one (slow: one transaction's
latency each) or as free tasks whose batch is confirmed to Telegram before they finish
(a crash then loses them). Here a batch is spread over its chats, each chat's updates in
the order Telegram gave them, the chats side by side; the next getUpdates, which is what
confirms the batch, is only asked once all of them are done. A crash mid-batch gets the
whole batch again, and the update log skips the updates that had committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Update

from veil.telegram.middlewares import UpdateNotKept

log = logging.getLogger(__name__)

MAX_BACKOFF = 60.0
BATCH_LIMIT = 100  # Telegram's most per getUpdates


def chat_of(update: Update) -> tuple[str, int]:
    """The conversation an update belongs to: its updates are handled in order."""
    message = update.message or update.edited_message
    if message is not None:
        return "chat", message.chat.id
    query = update.callback_query
    if query is not None:
        # A button belongs with the chat it sits in, so a press and the messages
        # around it stay in order.
        if query.message is not None:
            return "chat", query.message.chat.id
        return "chat", query.from_user.id
    member = update.my_chat_member or update.chat_member
    if member is not None:
        return "chat", member.chat.id
    return "update", update.update_id  # related to nothing else


class Poller:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        *,
        timeout: int = 30,
        concurrency: int = 8,
        allowed_updates: Sequence[str] | None = None,
    ) -> None:
        """Polls for ``dispatcher`` (a host's own, too: a drop-in for ``start_polling``).
        ``allowed_updates`` defaults to the update types its handlers use."""
        self._bot = bot
        self._dispatcher = dispatcher
        self._timeout = timeout
        self._slots = asyncio.Semaphore(concurrency)
        if allowed_updates is None:
            allowed_updates = dispatcher.resolve_used_update_types()
        self._allowed = list(allowed_updates)
        self.handled = 0

    async def run(self, stop: asyncio.Event) -> None:
        offset: int | None = None
        delay = 1.0
        await self._leave_webhook()
        log.info("polling Telegram for updates")
        while not stop.is_set():
            try:
                updates = await self._fetch(offset, stop)
            except Exception as exc:
                log.error("getUpdates failed (%r); trying again in %.0fs", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            delay = 1.0
            if not updates:
                continue
            try:
                await self.handle(updates)
            except UpdateNotKept:
                # Not confirmed: the same batch comes again once the store is back (the
                # updates that had committed are then skipped by their update_id).
                log.error("a batch is asked for again in %.0fs: an update was not kept", delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            offset = updates[-1].update_id + 1  # confirmed by the next getUpdates

    async def _leave_webhook(self) -> None:
        """Polling instead of a webhook: while one is set, every getUpdates fails (409)."""
        try:
            info = await self._bot.get_webhook_info()
            if info.url:
                await self._bot.delete_webhook(drop_pending_updates=False)
                log.warning("the webhook was removed: polling instead")
        except TelegramAPIError as exc:
            log.warning("could not check for a webhook (%s); polling anyway", exc)

    async def _fetch(self, offset: int | None, stop: asyncio.Event) -> list[Update]:
        """The next batch, or nothing when asked to stop while waiting for it."""
        fetching = asyncio.ensure_future(
            self._bot.get_updates(
                offset=offset,
                limit=BATCH_LIMIT,
                timeout=self._timeout,
                allowed_updates=self._allowed,
                request_timeout=self._timeout + 10,
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({fetching, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not fetching.done():
            fetching.cancel()  # unconfirmed: Telegram hands these over again next time
            with contextlib.suppress(asyncio.CancelledError):
                await fetching
            return []
        return list(fetching.result())

    async def handle(self, updates: Sequence[Update]) -> None:
        """Handle a batch: chats side by side, each chat's updates in order."""
        chats: dict[tuple[str, int], list[Update]] = {}
        for update in updates:
            chats.setdefault(chat_of(update), []).append(update)
        # Every chat runs to its end before the batch is judged, so that none is still
        # at work when the batch is asked for again.
        done = await asyncio.gather(
            *(self._in_order(chat) for chat in chats.values()), return_exceptions=True
        )
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _in_order(self, updates: list[Update]) -> None:
        for update in updates:
            async with self._slots:
                try:
                    await self._dispatcher.feed_update(self._bot, update)
                except UpdateNotKept:
                    raise  # this chat stops here; the batch is not confirmed
                except Exception:
                    # The middleware keeps failed updates; this catches what slips past it.
                    log.exception("update %s could not be handled", update.update_id)
                self.handled += 1
