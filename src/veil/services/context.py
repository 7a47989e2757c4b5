"""What every use case is given besides its unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

from veil.domain.limits import Limits
from veil.domain.sla import SlaPolicy
from veil.services.desks import Desks
from veil.services.ports import Appointments, Clock, RateLog, Texts


@dataclass(frozen=True)
class Sender:
    """A person writing to the bot, as much of them as the use cases may know."""

    telegram_id: int
    language: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One message (or the edit of one) from Telegram, stripped to what matters."""

    chat_id: int
    message_id: int
    sender: Sender
    kind: str
    text: str | None = None  # the text, or the caption of media
    entities: tuple[dict[str, Any], ...] = ()
    thread_id: int | None = None
    reply_to_message_id: int | None = None
    media_group_id: str | None = None
    # Who wrote the message replied to, when a person did (admins' desk commands use it).
    reply_to_sender: Sender | None = None
    # Its text is not what was typed (phone numbers, e-mails hidden, invisible characters
    # removed): never copy it as is.
    masked: bool = False

    @property
    def is_captioned(self) -> bool:
        return self.kind != "text" and self.text is not None


@dataclass(frozen=True)
class Context:
    clock: Clock
    texts: Texts
    new_suffix: Callable[[], str]
    desk_chat_id: int
    desk_language: str = "en"
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    new_token: Callable[[], str] = field(default=lambda: _no_token_source())
    bot_username: str = "bot"  # learnt from Telegram at start; used in deep links
    default_capacity: int = 5
    invite_lifetime: timedelta = timedelta(hours=24)
    # Every desk group; built from desk_chat_id alone when not given.
    desk_groups: Desks | None = None
    # The host's appointments (what tickets are about), when it offers them.
    appointments: Appointments | None = None
    # A ticket about an appointment starting this soon starts at high priority.
    soon: timedelta = timedelta(hours=24)
    limits: Limits = field(default_factory=Limits)
    # Hide clients' phone numbers, e-mail addresses and card numbers from agents.
    masking: bool = True
    # Counts an agent's desk actions (the database, or Redis); None: not counted.
    rate_log: RateLog | None = None
    # SLA targets and business hours.
    sla: SlaPolicy = field(default_factory=SlaPolicy.default)
    # A ticket silent this long closes, the client warned this long before; a client
    # writing within the reopen window after a close reopens it.
    auto_close: timedelta = timedelta(hours=24)
    auto_close_warning: timedelta = timedelta(hours=1)
    reopen_window: timedelta = timedelta(hours=48)
    # The daily digest goes out once this local time (the SLA's time zone) has passed;
    # None: no digest.
    report_at: time | None = time(9, 0)

    def __post_init__(self) -> None:
        if self.desk_groups is None:
            object.__setattr__(self, "desk_groups", Desks.single(self.desk_chat_id))

    @property
    def desks(self) -> Desks:
        assert self.desk_groups is not None  # set in __post_init__
        return self.desk_groups

    def desk_text(self, key: str, **args: Any) -> str:
        return self.texts(self.desk_language, key, **args)


def _no_token_source() -> str:
    # Secrets must come from real randomness, which bootstrap wires in; a made-up default
    # would hand out guessable invite links.
    raise RuntimeError("no token source: build the Context with new_token=...")
