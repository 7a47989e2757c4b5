"""Performing one delivery: the Bot API calls behind it, and a lost topic's recovery."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BufferedInputFile,
    ChatMemberRestricted,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    ReplyParameters,
)

from veil.domain.bundling import Piece, bundle
from veil.domain.content import CAPTION_LIMIT, TEXT_LIMIT, split_text
from veil.domain.text import utf16_clip, utf16_len
from veil.services import agents, appointments, desk, outbound, private, reports
from veil.services.context import Context
from veil.services.deliveries import (
    AnswerCallback,
    Buttons,
    CarryOut,
    CheckMembership,
    CloseTopic,
    CopyContent,
    Delivery,
    EditContent,
    OpenTopic,
    PostCard,
    RefreshCard,
    RemoveFromDesks,
    ReopenTopic,
    SendReport,
    SendText,
    StaffMenu,
    ticket_of,
)
from veil.services.outbound import PrivateWorkEnded, Side, Target, TopicMissing
from veil.services.ports import UnitOfWorkFactory
from veil.telegram.menus import Menus, quietly
from veil.telegram.metrics import DeliveryMetrics
from veil.telegram.presses import PressCodec

log = logging.getLogger(__name__)

THREAD_GONE = "message thread not found"
RECOVERIES = 3  # repairs of an address before a send may fail as it will
PATIENT_ATTEMPTS = 5  # tries of a repaired message's later parts
IN_GROUP = ("creator", "administrator", "member")


# Telegram's words for content it will not take as sent (as opposed to an address it
# cannot reach, or a message that has not changed).
_CONTENT_ERRORS = ("too long", "entit", "parse", "markup", "button", "keyboard", "empty")
_NOT_CONTENT = (THREAD_GONE, "message is not modified", "chat not found", "not enough rights")


def _refused_content(message: str) -> bool:
    """A 400 about what was sent, which a repair may get past; any other 400 about the
    message itself (a file gone, a deleted original) still deserves a notice."""
    text = message.lower()
    return not any(n in text for n in _NOT_CONTENT)


Message = SendText | CopyContent | EditContent


def repair(delivery: Message, error: str) -> list[Message]:
    """The delivery in a form Telegram takes, or [] when no repair applies: plain text
    split to fit, a caption dropped and sent as text after the media, no buttons."""
    text = error.lower()
    if not any(e in text for e in _CONTENT_ERRORS):
        return []
    match delivery:
        case SendText():
            first, *rest = split_text(delivery.text)
            plain = replace(delivery, text=first, entities=(), buttons=())
            return [plain, *(replace(plain, text=part, record=None) for part in rest)]
        case CopyContent(has_caption=True) | CopyContent(caption=None):
            words = delivery.caption or ""
            bare = replace(delivery, caption="", caption_entities=(), has_caption=True)
            tail = [SendText(delivery.to, p, relayed=True) for p in split_text(words) if words]
            return [bare, *tail]
        case EditContent():
            limit = CAPTION_LIMIT if delivery.is_caption else TEXT_LIMIT
            return [replace(delivery, text=utf16_clip(delivery.text, limit), entities=())]
    return []


def as_notice(
    text: str, entities: tuple[dict[str, object], ...] = ()
) -> tuple[dict[str, object], ...]:
    """Veil's own words in the desk are a quote, the mark agents know them by: relayed
    words never carry one (relay strips quotes from what clients send)."""
    quote = {"type": "blockquote", "offset": 0, "length": utf16_len(text)}
    return (quote, *entities)


def keyboard(
    buttons: Buttons, presses: PressCodec, chat_id: int, thread_id: int | None
) -> InlineKeyboardMarkup | None:
    """The buttons, their presses packed and signed for the chat (and topic) they are
    sent to."""
    if not buttons:
        return None
    rows = [
        [
            InlineKeyboardButton(
                text=b.text, callback_data=presses.pack(b.press, chat_id, thread_id)
            )
            for b in row
        ]
        for row in buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _entities(raw: tuple[dict[str, object], ...]) -> list[MessageEntity] | None:
    return [MessageEntity.model_validate(e) for e in raw] or None


def _reply(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


@dataclass(frozen=True)
class Learned:
    """A stored message's id on one side, learnt from a send: recorded with the outcome."""

    record: int
    side: Side
    chat_id: int
    message_id: int


class DeliveryCalls:
    """Turns deliveries into Bot API calls; raises aiogram's errors for the sender."""

    def __init__(
        self,
        bot: Bot,
        units: UnitOfWorkFactory,
        ctx: Context,
        metrics: DeliveryMetrics,
        presses: PressCodec,
        menus: Menus | None = None,
    ) -> None:
        self._presses = presses
        self._bot = bot
        self._units = units
        self._ctx = ctx
        self._metrics = metrics
        self._menus = menus  # None: the bot's menus are not Veil's to set

    async def perform(self, batch: Sequence[Delivery]) -> list[Learned]:
        """Carry out one delivery, or a run of one lane's deliveries that go as one call:
        a client's texts bundled into one desk message, or an album copied at once."""
        first = batch[0]
        if len(batch) > 1:
            return await self._with_topic_recovery(first, lambda: self._send_many(batch))
        match first:
            case OpenTopic(ticket_id):
                await self._ensure_topic(ticket_id)
            case PostCard(ticket_id):
                await self._post_card(ticket_id)
            case RefreshCard(ticket_id):
                await self._refresh_card(ticket_id)
            case CloseTopic(ticket_id):
                await self._close_topic(ticket_id)
            case ReopenTopic(ticket_id):
                await self._reopen_closed_topic(ticket_id)
            case SendReport() as request:
                await self._send_report(request)
            case AnswerCallback(query_id, text, alert):
                await self._answer(query_id, text, alert)
            case CheckMembership(agent_id):
                await self._check_membership(agent_id)
            case RemoveFromDesks(user_id):
                await self._remove_from_desks(user_id)
            case CarryOut(offer_id):
                await appointments.carry_out(self._units, self._ctx, offer_id)
            case StaffMenu(user_id):
                await self._staff_menu(user_id)
            case SendText() | CopyContent() | EditContent():
                return await self._with_topic_recovery(first, lambda: self._send_or_say(first))
        return []

    async def _with_topic_recovery(
        self, delivery: Delivery, send: Callable[[], Awaitable[list[Learned]]]
    ) -> list[Learned]:
        """Send, repairing first what the address lost: a topic (never opened, or deleted
        under us), or the agent's private chat it led to (right gone, chat refusing us)."""
        for _ in range(RECOVERIES):
            try:
                return await send()
            except TopicMissing as missing:
                await self._reopen_topic(missing.ticket_id)
            except PrivateWorkEnded as ended:
                await self._end_private_work(ended.ticket_id, ended.why)
            except TelegramForbiddenError as exc:
                # The agent working the ticket in private blocked the bot: the ticket goes
                # on in its topic. Anyone else refusing us is the sender's to judge.
                ticket_id = ticket_of(delivery)
                if ticket_id is None or not await self._worked_privately(ticket_id):
                    raise
                await self._end_private_work(ticket_id, f"the agent's chat refuses: {exc}")
            except TelegramBadRequest as exc:
                ticket_id = ticket_of(delivery)
                if THREAD_GONE not in exc.message or ticket_id is None:
                    raise
                log.warning("topic of ticket %s was deleted; opening a new one", ticket_id)
                await self._reopen_topic(ticket_id, forget_old=True)
        return await send()

    async def _worked_privately(self, ticket_id: int) -> bool:
        async with self._units() as uow:
            ticket = await uow.tickets.get(ticket_id)
            return ticket is not None and ticket.private_agent_id is not None

    async def _end_private_work(self, ticket_id: int, why: str) -> None:
        log.warning("ticket %s goes back to its topic: %s", ticket_id, why)
        async with self._units() as uow:
            await private.private_work_ended(uow, self._ctx, ticket_id)
            await uow.commit()

    async def _send_or_say(self, delivery: SendText | CopyContent | EditContent) -> list[Learned]:
        """Send; what Telegram refuses as sent goes repaired (plain text, media bare and
        its words after it, no buttons); what cannot go at all is shown, where it should
        have been, as a notice saying so. An accepted message never vanishes unsaid."""
        try:
            return await self._send(delivery)
        except TelegramBadRequest as exc:
            if not _refused_content(exc.message):
                raise  # the address, not the content (a lost topic, a desk setup): not ours
            first_error = exc.message
        repaired = repair(delivery, first_error)
        if repaired:
            log.warning("Telegram refused a message (%s); sending it repaired", first_error)
            try:
                learned: list[Learned] = []
                for n, part in enumerate(repaired):
                    # Once the first part is out, a retry of the whole row would repeat
                    # it: the later parts wait out short troubles here instead.
                    learned += await (self._send(part) if n == 0 else self._send_patiently(part))
                self._metrics.repaired.inc()
                return learned
            except TelegramBadRequest as exc:
                if not _refused_content(exc.message):
                    raise
                first_error = exc.message
        await self._say_undeliverable(delivery, first_error)
        return []

    async def _send_patiently(self, delivery: Message) -> list[Learned]:
        for attempt in range(1, PATIENT_ATTEMPTS + 1):
            try:
                return await self._send(delivery)
            except TelegramRetryAfter as exc:
                if attempt == PATIENT_ATTEMPTS:
                    raise
                await asyncio.sleep(float(exc.retry_after))
            except (TelegramServerError, TelegramNetworkError, TimeoutError, OSError):
                if attempt == PATIENT_ATTEMPTS:
                    raise
                await asyncio.sleep(min(10.0, 0.5 * 2**attempt))
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _say_undeliverable(
        self, delivery: SendText | CopyContent | EditContent, error: str
    ) -> None:
        log.error("a message could not be delivered: %s", error)
        self._metrics.undeliverable.inc()
        async with self._units() as uow:
            target = await outbound.resolve(uow, self._ctx, delivery.to)
            kind = await outbound.kind_of(uow, delivery)
            language = await outbound.language_at(uow, self._ctx, delivery.to)
            topic = await outbound.topic_of_answer(uow, self._ctx, delivery)
        key = "undeliverable-to-client" if target.side is Side.CLIENT else "undeliverable-to-desk"
        text = self._ctx.texts(language, key, kind=kind, error=error[:200])
        entities = as_notice(text) if target.reads_clients else ()
        await self._bot.send_message(
            chat_id=target.chat_id,
            message_thread_id=target.thread_id,
            text=text,
            entities=_entities(entities),
        )
        if topic is not None:  # an agent's answer: those who wrote it learn it did not arrive
            told = self._ctx.desk_text("undeliverable-answer", kind=kind, error=error[:200])
            await self._bot.send_message(
                chat_id=topic.chat_id,
                message_thread_id=topic.thread_id,
                text=told,
                entities=_entities(as_notice(told)),
            )

    async def _send(self, delivery: SendText | CopyContent | EditContent) -> list[Learned]:
        if isinstance(delivery, EditContent):
            await self._edit(delivery)
            return []
        async with self._units() as uow:
            target = await outbound.resolve(uow, self._ctx, delivery.to)
            reply_to = await outbound.reply_target(uow, delivery.reply_to_record, target)
            source = (
                await outbound.resolve(uow, self._ctx, delivery.source)
                if isinstance(delivery, CopyContent)
                else None
            )
        message_id = await self._call(delivery, target, reply_to, source)
        if delivery.record is None:
            return []
        return [Learned(delivery.record, target.side, target.chat_id, message_id)]

    async def _edit(self, delivery: EditContent) -> None:
        """Edit the copy where it is: the chat it went to, wherever the ticket is now."""
        async with self._units() as uow:
            target = await outbound.resolve(uow, self._ctx, delivery.to)
            copy = await outbound.copy_on(uow, delivery.record, target.side)
            shared = copy is not None and await outbound.copy_is_shared(
                uow, delivery.record, target.side
            )
        if copy is None:  # the original never reached this side: nothing to edit
            log.info("edit of an undelivered message dropped (record %s)", delivery.record)
            return
        if copy.chat_id != target.chat_id:
            # The copy stayed where the ticket was (a private chat before /back): those
            # reading the ticket now get the new wording here.
            await self._edit_as_reply(delivery, target, None)
            return
        if shared:
            # The original went out bundled with other texts: editing the bundle would
            # drop them, so the new wording follows as a reply to it.
            await self._edit_as_reply(delivery, target, copy.message_id)
            return
        if delivery.is_caption:
            await self._bot.edit_message_caption(
                chat_id=copy.chat_id,
                message_id=copy.message_id,
                caption=delivery.text,
                caption_entities=_entities(delivery.entities),
            )
        else:
            await self._bot.edit_message_text(
                chat_id=copy.chat_id,
                message_id=copy.message_id,
                text=delivery.text,
                entities=_entities(delivery.entities),
            )

    async def _send_many(self, batch: Sequence[Delivery]) -> list[Learned]:
        first = batch[0]
        if isinstance(first, CopyContent):
            return await self._copy_album([d for d in batch if isinstance(d, CopyContent)])
        texts = [d for d in batch if isinstance(d, SendText)]
        joined = bundle([Piece(t.text, t.entities) for t in texts])
        if joined.count != len(texts):
            # The sender marks every row of the batch sent: all must be in the bundle.
            raise ValueError(f"a bundle of {len(texts)} texts fits only {joined.count}")
        merged = SendText(
            texts[0].to,
            joined.text,
            entities=joined.entities,
            reply_to_record=texts[0].reply_to_record,
            record=texts[0].record,
            relayed=True,  # only clients' texts are bundled
        )
        learned = await self._send(merged)
        return [
            Learned(t.record, item.side, item.chat_id, item.message_id)
            for item in learned
            for t in texts
            if t.record is not None
        ]

    async def _copy_album(self, items: Sequence[CopyContent]) -> list[Learned]:
        async with self._units() as uow:
            target = await outbound.resolve(uow, self._ctx, items[0].to)
            source = await outbound.resolve(uow, self._ctx, items[0].source)
        copied = await self._bot.copy_messages(
            chat_id=target.chat_id,
            message_thread_id=target.thread_id,
            from_chat_id=source.chat_id,
            message_ids=[item.message_id for item in items],
        )
        return [
            Learned(item.record, target.side, target.chat_id, made.message_id)
            for item, made in zip(items, copied, strict=False)
            if item.record is not None
        ]

    async def _edit_as_reply(
        self, delivery: EditContent, target: Target, reply_to: int | None
    ) -> None:
        prefix = self._ctx.texts(self._ctx.desk_language, "edited-part") + "\n"
        shift = utf16_len(prefix)
        entities = tuple({**e, "offset": int(e["offset"]) + shift} for e in delivery.entities)
        await self._bot.send_message(
            chat_id=target.chat_id,
            message_thread_id=target.thread_id,
            text=prefix + delivery.text,
            entities=_entities(entities),
            reply_parameters=_reply(reply_to),
        )

    async def _call(
        self,
        delivery: SendText | CopyContent,
        target: Target,
        reply_to: int | None,
        source: Target | None,
    ) -> int:
        if isinstance(delivery, SendText):
            entities = delivery.entities
            if target.reads_clients and not delivery.relayed:
                entities = as_notice(delivery.text, entities)
            sent = await self._bot.send_message(
                chat_id=target.chat_id,
                message_thread_id=target.thread_id,
                text=delivery.text,
                entities=_entities(entities),
                reply_markup=keyboard(
                    delivery.buttons, self._presses, target.chat_id, target.thread_id
                ),
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
        raise TypeError(f"not a message to send: {delivery!r}")

    async def _close_topic(self, ticket_id: int) -> None:
        # The topic itself, wherever the ticket's messages go now.
        async with self._units() as uow:
            ticket = await uow.tickets.get(ticket_id)
            if ticket is None or ticket.desk_topic_id is None:
                return  # never opened: nothing to close
            chat_id, thread_id = ticket.desk_chat_id, ticket.desk_topic_id
        await self._bot.close_forum_topic(chat_id, thread_id)

    async def _send_report(self, request: SendReport) -> None:
        """The report made now, from the figures now: its text, then its CSV."""
        async with self._units() as uow:
            admin = await uow.users.get(request.to.user_id)
            if admin is None:
                return  # gone since it was asked for
            report = await reports.build(uow, self._ctx, admin.language, request)
        for part in split_text(report.text):
            await self._bot.send_message(chat_id=admin.telegram_id, text=part)
        document = BufferedInputFile(report.csv.encode(), filename=report.filename)
        await self._bot.send_document(chat_id=admin.telegram_id, document=document)

    async def _reopen_closed_topic(self, ticket_id: int) -> None:
        async with self._units() as uow:
            ticket = await uow.tickets.get(ticket_id)
            if ticket is None or ticket.desk_topic_id is None:
                return  # no topic yet: the next message to it opens one
            chat_id, thread_id = ticket.desk_chat_id, ticket.desk_topic_id
        await self._bot.reopen_forum_topic(chat_id, thread_id)  # open already: DONE

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
            chat_id=chat_id,
            message_thread_id=thread_id,
            text=text,
            entities=_entities(as_notice(text)),
            reply_markup=keyboard(buttons, self._presses, chat_id, thread_id),
        )
        async with self._units() as uow:
            await outbound.card_posted(uow, ticket_id, sent.message_id)
            await uow.commit()

    async def _refresh_card(self, ticket_id: int) -> None:
        async with self._units() as uow:
            ticket = await uow.tickets.get(ticket_id)
            if ticket is None or ticket.card_message_id is None:
                return  # the card is not out yet; when it is, it is drawn current
            text, buttons = await desk.card_view(uow, self._ctx, ticket)
            chat_id, message_id = ticket.desk_chat_id, ticket.card_message_id
            thread_id = ticket.desk_topic_id
        await self._bot.edit_message_text(
            chat_id=chat_id,
            message_id=message_id,
            text=text,
            entities=_entities(as_notice(text)),
            reply_markup=keyboard(buttons, self._presses, chat_id, thread_id),
        )

    async def _check_membership(self, agent_id: int) -> None:
        """An agent must be in every group whose tickets routing may give them."""
        async with self._units() as uow:
            user = await uow.users.get(agent_id)
            agent = await uow.agents.get(agent_id)
        if user is None or agent is None:
            return
        for desk_id in self._ctx.desks.serving_up_to(agent.level):
            member = await self._bot.get_chat_member(desk_id, user.telegram_id)
            restricted_in = isinstance(member, ChatMemberRestricted) and member.is_member
            if member.status not in IN_GROUP and not restricted_in:
                break
        else:
            return
        async with self._units() as uow:
            await agents.not_in_desk(uow, self._ctx, agent_id)
            await uow.commit()

    async def _remove_from_desks(self, user_id: int) -> None:
        async with self._units() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            return
        refused: list[str] = []
        for desk_id in self._ctx.desks.chat_ids:
            # Banning removes them; lifting the ban at once lets an admin invite them again.
            try:
                await self._bot.ban_chat_member(desk_id, user.telegram_id)
                await self._bot.unban_chat_member(desk_id, user.telegram_id, only_if_banned=True)
            except (TelegramBadRequest, TelegramForbiddenError) as exc:
                # One group refusing (they own it, the bot may not ban) must not keep
                # them in the others; whoever can must finish by hand, and is told.
                log.error("could not remove user %s from desk group %s: %s", user_id, desk_id, exc)
                refused.append(f"{desk_id} ({exc.message})")
        if refused:
            text = self._ctx.desk_text("desk-removal-refused", groups=", ".join(refused))
            await self._bot.send_message(
                chat_id=self._ctx.desks.primary, text=text, entities=_entities(as_notice(text))
            )
        log.info("person %s removed from the desk groups", user_id)

    async def _staff_menu(self, user_id: int) -> None:
        if self._menus is None:
            return
        async with self._units() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            return
        chat = user.telegram_id
        if user.can_answer_tickets:
            await quietly("staff", self._menus.for_staff(chat, admin=user.is_admin))
        else:
            await quietly("a former agent", self._menus.for_nobody(chat))

    async def _answer(self, query_id: str, text: str | None, alert: bool) -> None:
        try:
            await self._bot.answer_callback_query(query_id, text=text, show_alert=alert)
        except TelegramBadRequest as exc:
            # Queries expire after a while; the action itself was done, so drop quietly.
            log.info("callback %s not answered: %s", query_id, exc.message)
