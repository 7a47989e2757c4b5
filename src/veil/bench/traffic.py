"""What the benchmark's clients and agents write, and when.

Every message carries a tag (``[c17-m42]``: client 17's 42nd message; ``[a3-r7]``: agent
3's 7th answer) so that it can be found again wherever and however the bot delivers it:
copied, merged with others into one message, or sent twice.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

CLIENT_TAG = re.compile(r"\[c(\d+)-m(\d+)\]")
ANSWER_TAG = re.compile(r"\[a(\d+)-r(\d+)\]")

PHRASES = (
    "hi, my appointment disappeared",
    "hello?",
    "I booked for Tuesday at 10",
    "it says the slot is taken",
    "can you check please",
    "the app shows an error",
    "ok",
    "thanks",
    "wait",
    "one more thing",
    "I tried again, same thing",
    "my card was charged twice",
    "is anyone there?",
    "sorry, wrong photo",
    "here is a screenshot",
    "I need to move it to next week",
)
ANSWERS = (
    "Hello! Let me look into it.",
    "Could you tell me the date of the booking?",
    "Thanks, checking now.",
    "I see it, one moment please.",
    "Done: your appointment is back.",
    "I've refunded the second charge.",
)
WORDS = [
    "booking",
    "calendar",
    "provider",
    "slot",
    "morning",
    "afternoon",
    "cancelled",
    "moved",
    "reminder",
    "refund",
    "payment",
    "receipt",
    "clinic",
    "address",
    "schedule",
    "confirmation",
    "message",
    "email",
    "phone",
    "week",
]


def client_tag(client: int, seq: int) -> str:
    return f"[c{client}-m{seq}]"


def answer_tag(agent: int, seq: int) -> str:
    return f"[a{agent}-r{seq}]"


def short_text(rng: random.Random, tag: str) -> str:
    return f"{tag} {rng.choice(PHRASES)}"


def short_answer(rng: random.Random, tag: str) -> str:
    return f"{tag} {rng.choice(ANSWERS)}"


def long_text(rng: random.Random, tag: str, low: int = 1000, high: int = 3500) -> str:
    """A long, wordy message of ``low``-``high`` characters, the tag first."""
    target = rng.randint(low, high)
    words = [tag, "Let me explain everything from the start."]
    size = sum(len(w) + 1 for w in words)
    while size < target:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:target]


@dataclass(frozen=True)
class Shape:
    """How bursty clients write: idle pauses, then a burst, an album or a long text."""

    idle_mean: float = 45.0  # seconds, exponential
    burst_max: int = 6  # texts in a typing burst, 1..burst_max
    gap_low: float = 0.2  # seconds between the texts of a burst
    gap_high: float = 0.8
    album_chance: float = 0.08  # of an activity being an album of 2-4 photos
    long_chance: float = 0.07  # of it being one long text
    answer_mean: float = 20.0  # seconds between one agent's answers, exponential

    def activity(self, rng: random.Random) -> tuple[str, int]:
        """What a client does next: ("burst", n texts), ("album", n photos) or ("long", 1)."""
        roll = rng.random()
        if roll < self.album_chance:
            return "album", rng.randint(2, 4)
        if roll < self.album_chance + self.long_chance:
            return "long", 1
        return "burst", rng.randint(1, self.burst_max)

    def idle(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.idle_mean) if self.idle_mean > 0 else 0.0

    def gap(self, rng: random.Random) -> float:
        return rng.uniform(self.gap_low, self.gap_high)

    def answer_pause(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.answer_mean) if self.answer_mean > 0 else 0.0
