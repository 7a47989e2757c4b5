"""Satisfaction: after a close the client may rate the conversation 1-5, once, and add
a comment when they ask to. What agents see of it carries no identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from veil.domain.model import Level

SCORES = (1, 2, 3, 4, 5)
# A comment is the client's next message within this time after they asked to add one.
COMMENT_WINDOW = timedelta(minutes=10)


class RatingError(ValueError):
    """A score outside 1-5, or a comment nobody asked to add."""


@dataclass(eq=False)
class Rating:
    ticket_id: int
    score: int
    rated_at: datetime
    # Who owned the conversation, and at what level, when it closed: CSAT per agent
    # and per level counts the rating for them.
    agent_id: int | None = None
    level: Level | None = None
    comment: str | None = None
    comment_asked_at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if self.score not in SCORES:
            raise RatingError(f"a rating is 1 to 5, not {self.score}")

    def ask_comment(self, now: datetime) -> None:
        if self.comment is None:
            self.comment_asked_at = now

    def awaits_comment(self, now: datetime) -> bool:
        asked = self.comment_asked_at
        return self.comment is None and asked is not None and now - asked <= COMMENT_WINDOW

    def add_comment(self, text: str, now: datetime) -> None:
        if not self.awaits_comment(now):
            raise RatingError("no comment was asked for, or it came too late")
        self.comment = text
