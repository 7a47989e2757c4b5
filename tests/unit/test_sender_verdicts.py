"""What each Telegram error means for a delivery: nothing accepted may be dropped by a
passing outage, and nothing that can never succeed may block its chat forever."""

from __future__ import annotations

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage

from veil.telegram.sender import Verdict, classify

CALL = SendMessage(chat_id=1, text="x")


@pytest.mark.parametrize(
    ("error", "lane", "verdict"),
    [
        (TelegramServerError(CALL, "Bad Gateway"), "user:1", Verdict.RETRY),
        (TelegramNetworkError(CALL, "timeout"), "user:1", Verdict.RETRY),
        (TelegramUnauthorizedError(CALL, "Unauthorized"), "topic:1", Verdict.RETRY),
        (TelegramNotFound(CALL, "Not Found"), "user:1", Verdict.RETRY),
        (TimeoutError(), "user:1", Verdict.RETRY),
        (
            TelegramForbiddenError(CALL, "Forbidden: bot was blocked by the user"),
            "user:1",
            Verdict.UNREACHABLE,
        ),
        (
            TelegramForbiddenError(CALL, "Forbidden: bot was kicked from the supergroup chat"),
            "topic:1",
            Verdict.WAIT_FOR_OPERATOR,
        ),
        (
            TelegramBadRequest(CALL, "Bad Request: chat not found"),
            "topic:3",
            Verdict.WAIT_FOR_OPERATOR,
        ),
        (TelegramBadRequest(CALL, "Bad Request: chat not found"), "user:3", Verdict.FAIL),
        (
            TelegramBadRequest(CALL, "Bad Request: message is not modified: same"),
            "user:1",
            Verdict.DONE,
        ),
        # Closing a topic closed by hand, reopening one reopened by hand: so already.
        (TelegramBadRequest(CALL, "Bad Request: TOPIC_NOT_MODIFIED"), "topic:4", Verdict.DONE),
        (TelegramBadRequest(CALL, "Bad Request: can't parse entities"), "topic:1", Verdict.FAIL),
        # The topic was deleted again right after it was opened anew: try again, not lose.
        (
            TelegramBadRequest(CALL, "Bad Request: message thread not found"),
            "topic:2",
            Verdict.RETRY,
        ),
        (LookupError("ticket 9 does not exist"), "topic:9", Verdict.UNEXPECTED),
    ],
)
def test_each_error_gets_the_right_verdict(error: Exception, lane: str, verdict: Verdict) -> None:
    assert classify(error, lane) is verdict
