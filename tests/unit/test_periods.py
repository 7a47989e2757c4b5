"""Periods as people ask for them, in the desk's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from veil.domain.figures import Period, parse_period

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)  # already the 7th... and 23:30 in Berlin


def berlin_midnight(day: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, tzinfo=BERLIN).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "first", "after_last"),
    [
        ("today", 7, 8),
        ("", 1, 8),
        ("week", 1, 8),
        ("2026-12-03", 3, 4),
        ("2026-12-01..2026-12-07", 1, 8),
    ],
)
def test_periods_are_whole_local_days(text: str, first: int, after_last: int) -> None:
    assert parse_period(text, NOW, BERLIN) == Period(
        berlin_midnight(first), berlin_midnight(after_last)
    )


def test_a_month_is_the_last_thirty_days() -> None:
    assert parse_period("month", NOW, BERLIN) == Period(
        berlin_midnight(8, month=11), berlin_midnight(8)
    )


def test_a_late_evening_in_utc_is_already_tomorrow_in_the_desks_zone() -> None:
    late = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # 00:30 on the 8th in Berlin
    assert parse_period("today", late, BERLIN) == Period(berlin_midnight(8), berlin_midnight(9))


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2026-12-07..2026-12-01",
        "2026-02-30",
        "2025-01-01..2026-12-01",
        "x",
        "9999-12-31",  # past the calendar's end once made a time
        "0001-01-01",  # before its start, east of UTC
    ],
)
def test_what_cannot_be_read_is_none(text: str) -> None:
    assert parse_period(text, NOW, BERLIN) is None
