"""Presses in and out of Telegram's callback data: aiogram's callback-data factories,
signed for the chat the button is sent to, and dated.

Callback data comes back from outside: a modified client can send any bytes for any
button, press a button copied from another chat, or keep an old one for months. So every
press but Live Support carries the time it was issued and a tag over its payload and the
chat it was sent to (``Keyring.sign``); reading refuses a payload that is not Veil's, a
tag that does not match (forged, altered or pressed in another chat) and a press older
than its lifetime. Whether the press still makes sense (the ticket open, the offer not yet
answered: a replay) is the use case's to say; whether this person may press it is the
guard's.

Live Support is not signed: hosts put it on their own keyboards, which live for ever,
and it asks for nothing that anyone may not ask for.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message

from veil.services.presses import (
    AnswerOffer,
    CloseTicket,
    CommentRating,
    ConfirmForget,
    EndChat,
    OpenSupport,
    Press,
    ProposeOffer,
    RateTicket,
    SendCanned,
    ShowTranscript,
    TakeTicket,
)

OPEN_SUPPORT = "sup:open"  # + ":<appointment ref>" for Live Support on an appointment
# A confirmation means now: an erasure confirmed tomorrow was not thought over today.
CONFIRM_LIFETIME = timedelta(minutes=15)
# A canned answer is picked for the message about to be written: a menu goes stale soon.
CANNED_LIFETIME = timedelta(minutes=10)
# Clocks of several processes differ a little: a press "from the future" by this is fine.
SKEW = timedelta(minutes=5)
TAG = re.compile(r"[A-Za-z0-9_-]{11}")  # what Keyring.sign makes: 8 bytes, url-safe base64


class Signer(Protocol):
    def sign(self, text: str) -> str: ...
    def signed(self, text: str, tag: str) -> bool: ...


class EndChatData(CallbackData, prefix="veil-e"):
    ticket: str
    at: int
    sig: str


class TranscriptData(CallbackData, prefix="veil-r"):
    ticket: str
    at: int
    sig: str


class ForgetData(CallbackData, prefix="veil-f"):
    at: int
    sig: str


class RateData(CallbackData, prefix="veil-s"):
    ticket: str
    score: int
    at: int
    sig: str


class CommentData(CallbackData, prefix="veil-m"):
    ticket: str
    at: int
    sig: str


class AnswerOfferData(CallbackData, prefix="veil-a"):
    offer: int
    accept: bool
    at: int
    sig: str


class TakeData(CallbackData, prefix="veil-t"):
    ticket: str
    at: int
    sig: str


class CloseData(CallbackData, prefix="veil-c"):
    ticket: str
    at: int
    sig: str


class ProposeOfferData(CallbackData, prefix="veil-p"):
    offer: int
    at: int
    sig: str


class CannedData(CallbackData, prefix="veil-n"):
    answer: int
    at: int
    sig: str


Signed = (
    EndChatData
    | TranscriptData
    | ForgetData
    | RateData
    | CommentData
    | AnswerOfferData
    | TakeData
    | CloseData
    | ProposeOfferData
    | CannedData
)
FACTORIES: dict[type[Press], type[Signed]] = {
    EndChat: EndChatData,
    ShowTranscript: TranscriptData,
    ConfirmForget: ForgetData,
    RateTicket: RateData,
    CommentRating: CommentData,
    AnswerOffer: AnswerOfferData,
    TakeTicket: TakeData,
    CloseTicket: CloseData,
    ProposeOffer: ProposeOfferData,
    SendCanned: CannedData,
}
_BY_PREFIX = {factory.__prefix__: press for press, factory in FACTORIES.items()}
_LIFETIMES: dict[type[Press], timedelta] = {
    ConfirmForget: CONFIRM_LIFETIME,
    SendCanned: CANNED_LIFETIME,
}
MAX_DATA = 64  # bytes of callback_data Telegram takes


class Unread(enum.Enum):
    """Why a payload is not a press to act on."""

    NOT_OURS = "not Veil's"
    FORGED = "forged, altered or pressed in another chat"
    EXPIRED = "expired"


def open_support(about: str | None = None) -> str:
    """Live Support's payload; ``about`` an appointment of the host's (checked)."""
    return OPEN_SUPPORT if about is None else f"{OPEN_SUPPORT}:{OpenSupport(about).about}"


class PressCodec:
    """Packs presses for a chat and reads them back; ``lifetime`` bounds how long a
    signed button works (``VEIL_BUTTON_LIFETIME_SECONDS``)."""

    def __init__(self, signer: Signer, clock: Callable[[], datetime], lifetime: timedelta) -> None:
        self._signer = signer
        self._clock = clock
        self._lifetime = lifetime

    def pack(self, press: Press, chat_id: int, thread_id: int | None = None) -> str:
        """The payload of ``press`` on a button sent to ``chat_id`` (in topic
        ``thread_id``): a press anywhere else is refused as misplaced."""
        if isinstance(press, OpenSupport):
            return open_support(press.about)
        factory = FACTORIES[type(press)]
        at = int(self._clock().timestamp())
        fields: dict[str, Any] = dict(press.__dict__)
        unsigned = factory(**fields, at=at, sig="").pack()
        packed = unsigned + self._signer.sign(_signed_text(unsigned, chat_id, thread_id))
        if len(packed.encode()) > MAX_DATA:  # ids are bounded: only a change of format
            raise ValueError(f"callback data over {MAX_DATA} bytes: {packed!r}")
        return packed

    def read(
        self, data: str | None, chat_id: int | None, thread_id: int | None = None
    ) -> Press | Unread:
        if data is None or not _fits(data):
            return Unread.NOT_OURS
        if data == OPEN_SUPPORT:
            return OpenSupport()
        if data.startswith(OPEN_SUPPORT + ":"):
            try:
                return OpenSupport(data.removeprefix(OPEN_SUPPORT + ":"))
            except ValueError:  # not a reference a host could have written
                return Unread.FORGED
        prefix = data.partition(":")[0]
        press_type = _BY_PREFIX.get(prefix)
        if press_type is None:
            return Unread.NOT_OURS
        unsigned, _, tag = data.rpartition(":")
        unsigned += ":"
        if chat_id is None or not TAG.fullmatch(tag):
            return Unread.FORGED
        if not self._signer.signed(_signed_text(unsigned, chat_id, thread_id), tag):
            return Unread.FORGED
        try:
            unpacked = FACTORIES[press_type].unpack(data)
        except (TypeError, ValueError):  # signed by us, so only after a change of format
            return Unread.FORGED
        age = self._clock() - datetime.fromtimestamp(unpacked.at, tz=UTC)
        lifetime = _LIFETIMES.get(press_type, self._lifetime)
        if not -SKEW <= age <= lifetime:
            return Unread.EXPIRED
        fields = unpacked.model_dump(exclude={"at", "sig"})
        return press_type(**fields)

    def kind_of(self, data: str | None) -> type[Press] | None:
        """The kind of press a payload claims to be, by its prefix alone (unchecked)."""
        if data is None:
            return None
        if data == OPEN_SUPPORT or data.startswith(OPEN_SUPPORT + ":"):
            return OpenSupport
        return _BY_PREFIX.get(data.partition(":")[0])

    def is_ours(self, data: str | None) -> bool:
        """A payload Veil wrote, or one that claims to be (for a host: Veil's to answer)."""
        return self.kind_of(data) is not None


def chat_of(query: CallbackQuery) -> int | None:
    """The chat a button was pressed in; None when Telegram says nothing of it (an
    inline message), which no signed press is valid in."""
    return query.message.chat.id if query.message is not None else None


def thread_of(query: CallbackQuery) -> int | None:
    """The forum topic of the message a button was pressed under, if any."""
    message = query.message
    if isinstance(message, Message) and message.is_topic_message:
        return message.message_thread_id
    return None


def _fits(data: str) -> bool:
    try:
        return len(data.encode()) <= MAX_DATA
    except UnicodeEncodeError:  # a lone surrogate: no text Telegram could have sent
        return False


def _signed_text(unsigned: str, chat_id: int, thread_id: int | None) -> str:
    return f"{chat_id}|{'' if thread_id is None else thread_id}|{unsigned}"
