"""Every Redis key name and TTL Veil uses, in one place.

Keys start with a namespace (``veil`` unless configured) so that several deployments,
or parallel tests, can share one Redis. Keys that one Lua script touches together carry
the same hash tag (``{...}``): Redis Cluster only runs a script over keys of one slot.
"""

from __future__ import annotations

# A flood bucket is kept this long after it has refilled. Once full it means the same as
# no key at all, so the grace only covers rounding; it is not a correctness knob.
FLOOD_BUCKET_IDLE_TTL = 60.0  # seconds


def _flood(ns: str) -> str:
    # One hash tag for all flood keys of a namespace: every chat shares the global bucket.
    return f"{{{ns}:flood}}"


def flood_bucket(ns: str, chat: str) -> str:
    """Hash {tokens, updated} of one chat's token bucket."""
    return f"{_flood(ns)}:bucket:{chat}"


def flood_global(ns: str) -> str:
    """Hash {tokens, updated} of the bot's bucket over all chats."""
    return f"{_flood(ns)}:global"


def flood_pause(ns: str, chat: str) -> str:
    """Present while Telegram asked us (429) to leave ``chat`` alone; its TTL is the pause."""
    return f"{_flood(ns)}:pause:{chat}"


def rate_events(ns: str, key: str) -> str:
    """Sorted set of one counted key's event times (seconds), trimmed to its window."""
    return f"{ns}:rate:{key}"
