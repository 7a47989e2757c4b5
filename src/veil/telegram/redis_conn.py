"""Opening the Redis connection Veil shares between instances, failing fast and clearly."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError

CONNECT_TIMEOUT = 5.0  # seconds: an unreachable Redis should stop start-up, not hang it


class RedisUnavailable(RuntimeError):
    """Redis cannot be used at the configured URL; the message names it (no password)."""


def redact(url: str) -> str:
    """``url`` with any password replaced, fit for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


async def connect_redis(url: str) -> aioredis.Redis:
    """A client for ``url`` that has answered a PING."""
    try:
        client = aioredis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT)
    except ValueError as exc:  # a malformed URL or an unknown scheme
        raise RedisUnavailable(f"invalid Redis URL {redact(url)}: {exc}") from None
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        # redis-py's messages name host and port, never the password.
        raise RedisUnavailable(f"cannot reach Redis at {redact(url)}: {exc}") from exc
    return client
