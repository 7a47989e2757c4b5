"""Errors the fake answers with, in the exact shape of the Bot API.

`FakeError` is both what handlers raise and what tests queue with `fail_next`, so a
scripted fault and a real rule violation reach the client through the same path.
"""

from __future__ import annotations

from typing import Any


class FakeError(Exception):
    """A Bot API error response: HTTP status, description and optional parameters."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        parameters: dict[str, Any] | None = None,
        delay: float = 0.0,
        applied: bool = False,
        dropped: bool = False,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters
        # Seconds the server waits before answering: how a slow or hung Telegram looks.
        self.delay = delay
        # When true the call takes effect before the error is returned, the nasty case of
        # "Telegram did it but the answer was lost" that makes clients send twice.
        self.applied = applied
        # When true no HTTP answer is sent at all: the server closes the connection.
        self.dropped = dropped

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body

    def __repr__(self) -> str:
        return f"FakeError({self.status}, {self.description!r})"

    @classmethod
    def bad_request(cls, description: str) -> FakeError:
        if not description.startswith("Bad Request: "):
            description = f"Bad Request: {description}"
        return cls(400, description)

    @classmethod
    def forbidden(cls, description: str) -> FakeError:
        if not description.startswith("Forbidden: "):
            description = f"Forbidden: {description}"
        return cls(403, description)

    @classmethod
    def too_many_requests(cls, retry_after: int) -> FakeError:
        return cls(
            429,
            f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
        )

    @classmethod
    def blocked(cls) -> FakeError:
        return cls.forbidden("bot was blocked by the user")

    @classmethod
    def deactivated(cls) -> FakeError:
        return cls.forbidden("user is deactivated")

    @classmethod
    def thread_not_found(cls) -> FakeError:
        return cls.bad_request("message thread not found")

    @classmethod
    def chat_not_found(cls) -> FakeError:
        return cls.bad_request("chat not found")

    @classmethod
    def migrated(cls, new_chat_id: int) -> FakeError:
        return cls(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            parameters={"migrate_to_chat_id": new_chat_id},
        )

    @classmethod
    def server_error(cls, status: int = 500) -> FakeError:
        texts = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return cls(status, texts.get(status, "Internal Server Error"))

    @classmethod
    def timeout(cls, seconds: float, *, applied: bool = False) -> FakeError:
        """The server sits on the request for `seconds`, then answers 502 Bad Gateway."""
        return cls(502, "Bad Gateway", delay=seconds, applied=applied)

    @classmethod
    def connection_dropped(cls, *, applied: bool = False) -> FakeError:
        """The server closes the TCP connection without answering; the client sees a
        network error. Its status and description are never sent, only logged."""
        return cls(0, "connection closed without an answer", applied=applied, dropped=True)

    @classmethod
    def unauthorized(cls) -> FakeError:
        return cls(401, "Unauthorized")

    @classmethod
    def not_found(cls) -> FakeError:
        return cls(404, "Not Found")

    @classmethod
    def conflict(cls, description: str) -> FakeError:
        return cls(409, f"Conflict: {description}")


class ConnectionDropped(Exception):
    """Raised by `api.call` after a dropped call is logged: the HTTP layer must then close
    the connection instead of answering."""


class ScenarioError(ValueError):
    """A test or demo asked the fake for something a real person could not do."""
