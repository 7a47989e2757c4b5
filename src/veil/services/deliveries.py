"""Outbound work, described in terms of the desk, stored in the outbox, sent later.

A delivery names *who* gets *what*; the Telegram layer turns it into Bot API calls.
Addresses are resolved at send time (a topic may not exist yet when the delivery is
written), which is also what keeps client Telegram ids out of the outbox.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from veil.domain.ids import fitting
from veil.services.presses import Press, from_legacy, from_record, to_record


@dataclass(frozen=True)
class UserChat:
    """The private chat of a person with the bot (client, agent or admin)."""

    user_id: int


@dataclass(frozen=True)
class TicketTopic:
    """The forum topic of a ticket in its desk group."""

    ticket_id: int


@dataclass(frozen=True)
class RawChat:
    """A chat known only by its Telegram id: a desk group (a reply to someone there), or
    an agent's own chat when a desk command was sent from it.

    Never a client's chat, whose id is the client's Telegram id: that would put it in
    plain text in the outbox's lane, flood keys and logs. Clients are ``UserChat``.
    """

    chat_id: int
    thread_id: int | None = None


Address = UserChat | TicketTopic | RawChat


@dataclass(frozen=True)
class Button:
    """A button under a message: its label, and what pressing it asks for (packed and
    signed into callback data only at the edge, for the chat it is sent to)."""

    text: str
    press: Press


Buttons = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class SendText:
    to: Address
    text: str
    entities: tuple[dict[str, Any], ...] = ()
    buttons: Buttons = ()
    reply_to_record: int | None = None  # a SupportMessage answered, mapped to this side
    record: int | None = None  # SupportMessage whose id on this side we learn on success
    # Someone's words carried across (a client's text, an agent's answer), as opposed to
    # Veil's own notice: in the desk, notices carry a mark that relayed words never do.
    relayed: bool = False


@dataclass(frozen=True)
class CopyContent:
    """Re-send a message as the bot: never a forward, so no origin travels with it."""

    to: Address
    source: Address
    message_id: int
    caption: str | None = None  # only used when has_caption: replaces the original
    caption_entities: tuple[dict[str, Any], ...] = ()
    has_caption: bool = False
    reply_to_record: int | None = None
    record: int | None = None
    # Items of one client album share this key; consecutive ones go as one call when a
    # plain copy carries the same content (``verbatim``: no caption rewritten).
    album: str | None = None
    verbatim: bool = False


@dataclass(frozen=True)
class EditContent:
    """Carry an edit over to the copy of a message on the other side."""

    to: Address
    record: int
    text: str
    entities: tuple[dict[str, Any], ...] = ()
    is_caption: bool = False


@dataclass(frozen=True)
class OpenTopic:
    ticket_id: int


@dataclass(frozen=True)
class PostCard:
    """The ticket card, rendered when sent so that it shows current data."""

    ticket_id: int


@dataclass(frozen=True)
class RefreshCard:
    """Edit the ticket card in place so it shows current data (no new message)."""

    ticket_id: int


@dataclass(frozen=True)
class CloseTopic:
    ticket_id: int


@dataclass(frozen=True)
class SendReport:
    """The desk's report over ``[start, end)`` (ISO times), with its CSV, to an admin:
    made when it is sent, from the figures then."""

    to: UserChat
    start: str
    end: str
    daily: bool = False


@dataclass(frozen=True)
class ReopenTopic:
    """A closed ticket's topic opened again: the client came back within the window."""

    ticket_id: int


@dataclass(frozen=True)
class CheckMembership:
    """Ask Telegram whether an agent is in the desk group; one who is not is sent back
    offline (they could not see the topics they would be given)."""

    agent_id: int


@dataclass(frozen=True)
class RemoveFromDesks:
    """Take a person out of every desk group (and let them be invited again later): an
    agent who left the team, or someone who does not belong there."""

    user_id: int


@dataclass(frozen=True)
class StaffMenu:
    """Show a person the command menu of who they are now in their chat with the bot:
    an agent's or an admin's, or (left the team) the clients' again."""

    user_id: int


@dataclass(frozen=True)
class CarryOut:
    """Have the host carry out a change the client accepted (another slot, cancelling),
    then tell both sides what came of it. Outside any transaction of Veil's: the host
    writes its own tables."""

    offer_id: int


@dataclass(frozen=True)
class AnswerCallback:
    query_id: str
    text: str | None = None
    alert: bool = False


Delivery = (
    SendText
    | CopyContent
    | EditContent
    | OpenTopic
    | PostCard
    | RefreshCard
    | CloseTopic
    | ReopenTopic
    | SendReport
    | AnswerCallback
    | CheckMembership
    | RemoveFromDesks
    | CarryOut
    | StaffMenu
)

_DELIVERIES: dict[str, type[Delivery]] = {
    cls.__name__: cls
    for cls in (
        SendText,
        CopyContent,
        EditContent,
        OpenTopic,
        PostCard,
        RefreshCard,
        CloseTopic,
        ReopenTopic,
        SendReport,
        AnswerCallback,
        CheckMembership,
        RemoveFromDesks,
        CarryOut,
        StaffMenu,
    )
}
_ADDRESSES: dict[str, type[Address]] = {c.__name__: c for c in (UserChat, TicketTopic, RawChat)}


def lane_of(delivery: Delivery) -> str:
    """Deliveries of one lane go out one at a time, in the order they were written.

    A ticket's topic is its own lane, so one stuck topic never holds up another ticket.
    """
    if isinstance(delivery, OpenTopic | PostCard | RefreshCard | CloseTopic | ReopenTopic):
        return f"topic:{delivery.ticket_id}"
    if isinstance(delivery, AnswerCallback):
        return _callback_lane(delivery.query_id)
    if isinstance(delivery, CheckMembership):
        return f"user:{delivery.agent_id}"  # ordered with what the agent is told
    if isinstance(delivery, RemoveFromDesks):
        return f"user:{delivery.user_id}"
    if isinstance(delivery, CarryOut):
        return f"offer:{delivery.offer_id}"
    if isinstance(delivery, StaffMenu):
        return f"user:{delivery.user_id}"
    return address_lane(delivery.to)


# The outbox keeps a lane in 64 characters; every other lane is a short prefix and a
# number. A callback query's id is Telegram's string: short in practice, but an update
# whose answer could not be stored would be asked for again and again.
LANE_LIMIT = 64


def _callback_lane(query_id: str) -> str:
    prefix = "callback:"
    return prefix + fitting(query_id, LANE_LIMIT - len(prefix))


def address_lane(address: Address) -> str:
    match address:
        case UserChat(user_id):
            return f"user:{user_id}"
        case TicketTopic(ticket_id):
            return f"topic:{ticket_id}"
        case RawChat(chat_id, _):
            return f"chat:{chat_id}"


def chat_key(
    delivery: Delivery, lane: str, desk_chat_id: int | None, private_agent_id: int | None = None
) -> tuple[str | None, bool]:
    """The flood-control key of the chat a delivery lands in, and whether it is a group.

    None for calls that post no message (answering a button, asking about a member).
    A ticket's topic counts against its desk group, whatever the topic; a ticket worked
    from an agent's private chat counts against that chat, except for its card.
    """
    if isinstance(
        delivery,
        AnswerCallback
        | CheckMembership
        | CloseTopic
        | ReopenTopic
        | RemoveFromDesks
        | CarryOut
        | StaffMenu,
    ):
        return None, False
    in_topic = isinstance(delivery, OpenTopic | PostCard | RefreshCard)
    if lane.startswith("topic:") and private_agent_id is not None and not in_topic:
        return f"user:{private_agent_id}", False
    if lane.startswith("topic:"):
        if desk_chat_id is None:
            return None, False  # the ticket is gone; the delivery will fail on its own
        return f"chat:{desk_chat_id}", True
    if lane.startswith("chat:"):
        return lane, lane.startswith("chat:-")
    return lane, False


def mergeable(delivery: Delivery) -> bool:
    """A client's text bound for the desk, which may share one desk message with the
    client's texts next to it when the desk group's budget is the bottleneck."""
    return (
        isinstance(delivery, SendText)
        and isinstance(delivery.to, TicketTopic)
        and delivery.record is not None
        and not delivery.buttons
    )


# Telegram hands over an album as separate messages within a moment of each other; its
# items wait this long so that they are all in when the first goes, and go as one call.
ALBUM_GATHERING = timedelta(seconds=1)


def gathering_time(delivery: Delivery) -> timedelta:
    if isinstance(delivery, CopyContent) and delivery.album is not None:
        return ALBUM_GATHERING
    return timedelta(0)


def ticket_of(delivery: Delivery) -> int | None:
    """The ticket whose topic a delivery is bound for, if any."""
    match delivery:
        case OpenTopic(ticket_id) | PostCard(ticket_id) | RefreshCard(ticket_id):
            return ticket_id
        case CloseTopic(ticket_id) | ReopenTopic(ticket_id):
            return ticket_id
        case SendText(to=TicketTopic(ticket_id)) | CopyContent(to=TicketTopic(ticket_id)):
            return ticket_id
        case EditContent(to=TicketTopic(ticket_id)):
            return ticket_id
    return None


def encode(delivery: Delivery) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type(delivery).__name__}
    for name, value in asdict(delivery).items():
        body[name] = value
    for name in ("to", "source"):
        if hasattr(delivery, name):
            address = getattr(delivery, name)
            body[name] = {"type": type(address).__name__, **asdict(address)}
    if isinstance(delivery, SendText):
        body["buttons"] = [
            [{"text": b.text, "press": to_record(b.press)} for b in row] for row in delivery.buttons
        ]
    return body


def decode(body: dict[str, Any]) -> Delivery:
    data = dict(body)
    cls = _DELIVERIES[data.pop("type")]
    for name in ("to", "source"):
        if name in data:
            address = dict(data[name])
            data[name] = _ADDRESSES[address.pop("type")](**address)
    for name in ("entities", "caption_entities"):
        if name in data:
            data[name] = tuple(data[name])
    if "buttons" in data:
        data["buttons"] = tuple(
            tuple(b for b in map(_button, row) if b is not None) for row in data["buttons"]
        )
    return cls(**data)


def _button(body: dict[str, Any]) -> Button | None:
    if "press" in body:
        return Button(body["text"], from_record(body["press"]))
    # Written before presses were typed: its callback data, as a string.
    press = from_legacy(str(body.get("data", "")))
    return Button(body["text"], press) if press is not None else None
