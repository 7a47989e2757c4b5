"""Satisfaction: the client asked to rate a closed conversation, the rating shown to the
desk without identity, a comment when the client asks to add one."""

from __future__ import annotations

import logging

from veil.domain.audit import Action
from veil.domain.model import Ticket, User
from veil.domain.ratings import COMMENT_WINDOW, SCORES, Rating
from veil.services import limits, presses, privacy
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import Button, Buttons, SendText, TicketTopic, UserChat
from veil.services.people import ensure_user, id_of
from veil.services.ports import UnitOfWork
from veil.services.say import tell

log = logging.getLogger(__name__)


def ask(uow: UnitOfWork, ctx: Context, client: User | None, ticket: Ticket) -> None:
    """After a close: one message with a button per score."""
    language = client.language if client is not None else None
    buttons: Buttons = (
        tuple(
            Button(
                ctx.texts(language, "rate-button", score=score),
                presses.RateTicket(ticket.public_id, score),
            )
            for score in SCORES
        ),
    )
    text = ctx.texts(language, "rate-ask", ticket=ticket.public_id)
    uow.outbox.add(SendText(UserChat(ticket.client_id), text, buttons=buttons))


async def rate(
    uow: UnitOfWork, ctx: Context, sender: Sender, public_id: str, score: int
) -> str | None:
    """A score pressed (the guard admitted the ticket's own client). Returns a notice."""
    user = await ensure_user(uow, ctx, sender)
    ticket = await uow.tickets.by_public_id(public_id)
    if ticket is None or score not in SCORES:
        return ctx.texts(user.language, "notice-unknown-ticket")
    if not ticket.is_closed:
        return ctx.texts(user.language, "rate-still-open")
    ticket_id = id_of(ticket)
    if await uow.ratings.for_ticket(ticket_id) is not None:
        return ctx.texts(user.language, "rate-already")
    if await limits.banned(uow, ctx, user):  # told politely; a ban's rating counts not
        return None
    # The close's owner and level, as the close's resolution run recorded them.
    closing = await uow.sla.last_resolution(ticket_id)
    owner = closing.agent_id if closing is not None else None
    level = closing.level if closing is not None else ticket.required_level
    rating = Rating(ticket_id, score, ctx.clock(), owner, level)
    await uow.ratings.add(rating)
    uow.audit.record(Action.TICKET_RATED, ticket_id, score=score)
    stars = "⭐" * score
    uow.outbox.add(
        SendText(TicketTopic(ticket_id), ctx.desk_text("desk-rated", stars=stars, score=score))
    )
    comment = presses.CommentRating(ticket.public_id)
    buttons = ((Button(ctx.texts(user.language, "button-rate-comment"), comment),),)
    tell(uow, ctx, user, "rate-thanks", buttons, score=score)
    log.info("ticket rated", extra={"ticket": ticket.public_id, "score": score})
    return None


async def ask_comment(uow: UnitOfWork, ctx: Context, sender: Sender, public_id: str) -> str | None:
    user = await ensure_user(uow, ctx, sender)
    ticket = await uow.tickets.by_public_id(public_id)
    rating = await uow.ratings.for_ticket(id_of(ticket)) if ticket is not None else None
    if rating is None or rating.comment is not None:
        return ctx.texts(user.language, "rate-comment-closed")
    rating.ask_comment(ctx.clock())
    minutes = int(COMMENT_WINDOW.total_seconds() // 60)
    tell(uow, ctx, user, "rate-comment-ask", minutes=minutes)
    return None


async def take_comment(uow: UnitOfWork, ctx: Context, user: User, msg: Incoming) -> bool:
    """The client's message is the comment they asked to add: kept, shown to the desk
    (masked and cleaned as any client text), thanked. False when it is not one."""
    now = ctx.clock()
    rating = await uow.ratings.awaiting_comment(id_of(user), now - COMMENT_WINDOW)
    if rating is None or msg.kind != "text" or not msg.text:
        return False
    msg = await privacy.masked(uow, ctx, user, msg)
    rating.add_comment(msg.text or "", now)
    uow.audit.record(Action.TICKET_RATED, rating.ticket_id, comment=True)
    shown = ctx.desk_text("desk-rating-comment", comment=msg.text)
    uow.outbox.add(SendText(TicketTopic(rating.ticket_id), shown))
    tell(uow, ctx, user, "rate-comment-thanks")
    return True
