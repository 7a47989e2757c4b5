"""What a button does when pressed, as a value: the use cases say which press a button
carries; the Telegram edge packs it into callback data (signed) and unpacks it again.

Each press names the act it asks for, so the guard judges a press like a command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from veil.domain.appointments import is_ref
from veil.domain.permissions import Act


@dataclass(frozen=True)
class OpenSupport:
    """Live Support: in Veil's menu, or on a host's keyboard (about an appointment).

    The one press that is not signed: hosts put it in their own keyboards, which live
    for ever, and it asks for nothing anyone may not have."""

    about: str | None = None
    act: ClassVar[Act] = Act.OPEN_SUPPORT

    def __post_init__(self) -> None:
        if self.about is not None and not is_ref(self.about):
            raise ValueError(f"not an appointment reference: {self.about!r}")


@dataclass(frozen=True)
class EndChat:
    ticket: str
    act: ClassVar[Act] = Act.END_CHAT


@dataclass(frozen=True)
class ShowTranscript:
    ticket: str
    act: ClassVar[Act] = Act.TRANSCRIPT


@dataclass(frozen=True)
class ConfirmForget:
    act: ClassVar[Act] = Act.FORGET_ME


@dataclass(frozen=True)
class RateTicket:
    ticket: str
    score: int
    act: ClassVar[Act] = Act.RATE


@dataclass(frozen=True)
class CommentRating:
    ticket: str
    act: ClassVar[Act] = Act.RATE_COMMENT


@dataclass(frozen=True)
class AnswerOffer:
    offer: int
    accept: bool
    act: ClassVar[Act] = Act.ANSWER_OFFER


@dataclass(frozen=True)
class TakeTicket:
    ticket: str
    act: ClassVar[Act] = Act.TAKE


@dataclass(frozen=True)
class CloseTicket:
    ticket: str
    act: ClassVar[Act] = Act.CLOSE


@dataclass(frozen=True)
class ProposeOffer:
    offer: int
    act: ClassVar[Act] = Act.PROPOSE_OFFER


@dataclass(frozen=True)
class SendCanned:
    answer: int
    act: ClassVar[Act] = Act.SEND_CANNED


Press = (
    OpenSupport
    | EndChat
    | ShowTranscript
    | ConfirmForget
    | RateTicket
    | CommentRating
    | AnswerOffer
    | TakeTicket
    | CloseTicket
    | ProposeOffer
    | SendCanned
)
PRESSES: tuple[type[Press], ...] = (
    OpenSupport,
    EndChat,
    ShowTranscript,
    ConfirmForget,
    RateTicket,
    CommentRating,
    AnswerOffer,
    TakeTicket,
    CloseTicket,
    ProposeOffer,
    SendCanned,
)
_BY_NAME = {cls.__name__: cls for cls in PRESSES}


def to_record(press: Press) -> dict[str, object]:
    """The press as the outbox keeps it (JSON)."""
    return {"kind": type(press).__name__, **press.__dict__}


def from_record(record: dict[str, object]) -> Press:
    fields = dict(record)
    cls = _BY_NAME[str(fields.pop("kind"))]
    return cls(**fields)  # type: ignore[arg-type]


def from_legacy(data: str) -> Press | None:
    """A button kept in the outbox before presses were typed (its callback data as a
    string): read once, when such a delivery is finally sent after an upgrade."""
    kind, _, rest = data.rpartition(":")
    simple: dict[str, type[EndChat | ShowTranscript | TakeTicket | CloseTicket]] = {
        "sup:end": EndChat,
        "tk": ShowTranscript,
        "desk:take": TakeTicket,
        "desk:close": CloseTicket,
    }
    if data == "sup:open":
        return OpenSupport()
    if data == "sup:forget":
        return ConfirmForget()
    if kind == "sup:open" and is_ref(rest):
        return OpenSupport(rest)
    if kind in simple:
        return simple[kind](rest)
    if rest.isascii() and rest.isdigit():
        number = int(rest)
        offers: dict[str, Press] = {
            "ofr:p": ProposeOffer(number),
            "ofr:y": AnswerOffer(number, accept=True),
            "ofr:n": AnswerOffer(number, accept=False),
            "cn": SendCanned(number),
        }
        return offers.get(kind)
    return None
