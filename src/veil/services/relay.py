"""Turning one side's message into deliveries for the other side, anonymously."""

from __future__ import annotations

from typing import Any

from veil.domain.content import (
    CAPTION_LIMIT,
    NOTICE_ENTITY_TYPES,
    TEXT_LIMIT,
    Handling,
    handling_of,
    safe_entities,
    split_text,
)
from veil.domain.ids import fitting
from veil.domain.model import Direction, SupportMessage, Ticket
from veil.domain.text import utf16_clip, utf16_len
from veil.services import clocks
from veil.services.context import Context, Incoming
from veil.services.deliveries import (
    Address,
    CopyContent,
    Delivery,
    EditContent,
    SendText,
    TicketTopic,
)
from veil.services.people import id_of
from veil.services.ports import UnitOfWork


async def record_message(
    uow: UnitOfWork,
    ctx: Context,
    ticket: Ticket,
    msg: Incoming,
    direction: Direction,
    author_id: int | None,
) -> SupportMessage:
    """Store a message of the ticket before anything is sent: nothing accepted is lost."""
    now = ctx.clock()
    record = SupportMessage(
        ticket_id=id_of(ticket),
        seq=ticket.next_seq(now),
        direction=direction,
        kind=msg.kind,
        created_at=now,
        text=msg.text,
        author_id=author_id,
        # Telegram's album id, only ever compared: kept to its column's size.
        media_group_id=fitting(msg.media_group_id, 64) if msg.media_group_id else None,
    )
    if direction is Direction.FROM_CLIENT:
        record.client_message_id = msg.message_id
    else:
        record.desk_chat_id, record.desk_message_id = msg.chat_id, msg.message_id
    await uow.messages.add(record)
    await clocks.message_recorded(uow, ctx, ticket, direction)
    return record


def carried_entities(msg: Incoming, to: Address) -> tuple[dict[str, Any], ...]:
    """The formatting that may cross with ``msg``: nothing that names a person, and into
    the desk no quote, the mark of Veil's own notices, whether sent or edited."""
    entities = tuple(safe_entities(msg.entities))
    if isinstance(to, TicketTopic):
        entities = tuple(e for e in entities if e.get("type") not in NOTICE_ENTITY_TYPES)
    return entities


def relay(
    msg: Incoming,
    *,
    record_id: int,
    to: Address,
    source: Address,
    reply_to_record: int | None,
    withheld_text: str,
) -> list[Delivery]:
    """Deliveries that carry ``msg`` to ``to`` without anything that names its author."""
    if handling_of(msg.kind) is Handling.WITHHOLD:
        return [SendText(to, withheld_text, record=record_id, reply_to_record=reply_to_record)]
    entities = carried_entities(msg, to)
    if msg.kind == "text":
        parts = split_text(msg.text or "")
        # Entities' offsets only fit an unsplit text; a split text goes plain.
        first = SendText(
            to,
            parts[0],
            entities=entities if len(parts) == 1 else (),
            reply_to_record=reply_to_record,
            record=record_id,
            relayed=True,
        )
        return [first, *(SendText(to, part, relayed=True) for part in parts[1:])]
    album = msg.media_group_id
    if not msg.is_captioned:
        return [
            CopyContent(
                to,
                source,
                msg.message_id,
                reply_to_record=reply_to_record,
                record=record_id,
                album=album,
                verbatim=True,
            )
        ]
    caption = msg.text or ""
    if utf16_len(caption) <= CAPTION_LIMIT:
        return [
            CopyContent(
                to,
                source,
                msg.message_id,
                caption=caption,
                caption_entities=entities,
                has_caption=True,
                reply_to_record=reply_to_record,
                record=record_id,
                album=album,
                # A plain copy keeps the caption as sent: only safe when nothing was cut
                # (nor hidden).
                verbatim=entities == tuple(msg.entities) and not msg.masked,
            )
        ]
    # Too long for a caption: the media goes bare and the words follow as text.
    media = CopyContent(
        to,
        source,
        msg.message_id,
        caption="",
        has_caption=True,
        reply_to_record=reply_to_record,
        record=record_id,
        album=album,
    )
    return [media, *(SendText(to, part, relayed=True) for part in split_text(caption))]


async def counterpart(
    uow: UnitOfWork, ticket_id: int, msg: Incoming, *, from_client: bool
) -> int | None:
    """The stored message a reply points at, so the copy can reply to its copy."""
    if msg.reply_to_message_id is None:
        return None
    if from_client:
        found = await uow.messages.by_client_message(ticket_id, msg.reply_to_message_id)
    else:
        found = await uow.messages.by_desk_message(ticket_id, msg.chat_id, msg.reply_to_message_id)
    return found.id if found is not None else None


def edit(to: Address, record: SupportMessage, msg: Incoming) -> EditContent:
    """Carry an edit to the other side's copy, under the same rules as the original."""
    is_caption = record.kind != "text"
    limit = CAPTION_LIMIT if is_caption else TEXT_LIMIT
    text = msg.text or ""
    entities = carried_entities(msg, to)
    if utf16_len(text) > limit:  # the full text is kept in the store and the transcript
        text, entities = utf16_clip(text, limit), ()
    return EditContent(to, id_of(record), text, entities=entities, is_caption=is_caption)
