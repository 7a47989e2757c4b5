"""Business hours: open time between instants, and the instant a target is reached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veil.domain.calendar import BusinessHours, CalendarError

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = BusinessHours.parse("Mon-Fri 09:00-18:00", "Europe/Berlin")


def berlin(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_always_open_counts_the_wall_clock() -> None:
    hours = BusinessHours.parse("", "UTC")
    start = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    assert hours.is_always
    assert hours.elapsed(start, start + timedelta(hours=30)) == timedelta(hours=30)
    assert hours.add(start, timedelta(minutes=10)) == start + timedelta(minutes=10)


def test_a_weekend_does_not_count() -> None:
    friday_evening = berlin(2026, 12, 4, 17, 0)  # a Friday
    monday_morning = berlin(2026, 12, 7, 10, 0)
    assert WEEKDAYS.elapsed(friday_evening, monday_morning) == timedelta(hours=2)
    assert WEEKDAYS.add(berlin(2026, 12, 4, 17, 30), timedelta(hours=1)) == berlin(
        2026, 12, 7, 9, 30
    )


def test_a_ticket_opened_at_night_starts_its_clock_when_the_desk_opens() -> None:
    night = berlin(2026, 12, 8, 23, 15)
    assert WEEKDAYS.add(night, timedelta(minutes=10)) == berlin(2026, 12, 9, 9, 10)
    assert WEEKDAYS.elapsed(night, berlin(2026, 12, 9, 8, 59)) == timedelta(0)
    assert not WEEKDAYS.is_open(night)
    assert WEEKDAYS.is_open(berlin(2026, 12, 9, 9, 0))


def test_a_working_day_is_nine_hours_across_a_change_of_daylight_saving() -> None:
    # Berlin moves from CET to CEST on Sunday 29 March 2026 and back on 25 October.
    daily = BusinessHours.parse("Mon-Sun 09:00-18:00", "Europe/Berlin")
    for day in (28, 29, 30):
        assert daily.elapsed(berlin(2026, 3, day, 0, 0), berlin(2026, 3, day, 23, 0)) == (
            timedelta(hours=9)
        )
    # The same local hours are other instants once the clocks moved.
    assert daily.add(berlin(2026, 3, 28, 0, 0), timedelta(0, 1)) == datetime(
        2026, 3, 28, 8, 0, 1, tzinfo=UTC
    )
    assert daily.add(berlin(2026, 3, 29, 0, 0), timedelta(0, 1)) == datetime(
        2026, 3, 29, 7, 0, 1, tzinfo=UTC
    )


def test_a_whole_day_on_the_change_is_as_long_as_the_clocks_make_it() -> None:
    always_local = BusinessHours.parse("Mon-Sun 00:00-24:00", "Europe/Berlin")
    spring = always_local.elapsed(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0))
    autumn = always_local.elapsed(berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 26, 0, 0))
    assert spring == timedelta(hours=23)
    assert autumn == timedelta(hours=25)


def test_hours_skipped_by_the_clock_change_are_not_counted() -> None:
    night_shift = BusinessHours.parse("Sun 01:00-04:00", "Europe/Berlin")
    # 02:00-03:00 does not exist on 29 March: three local hours are two real ones.
    start = berlin(2026, 3, 29, 0, 0)
    assert night_shift.elapsed(start, start + timedelta(days=1)) == timedelta(hours=2)


def test_several_parts_and_wrapping_day_ranges() -> None:
    hours = BusinessHours.parse("Fri-Mon 10:00-12:00; Wed 08:00-09:00", "UTC")
    week = datetime(2026, 12, 7, tzinfo=UTC)  # a Monday
    assert hours.elapsed(week, week + timedelta(days=7)) == timedelta(hours=4 * 2 + 1)


@pytest.mark.parametrize(
    ("text", "zone", "says"),
    [
        ("Mon-Fri 18:00-09:00", "UTC", "end before they start"),
        ("Funday 09:00-10:00", "UTC", "cannot read"),
        ("Mon-Fri 09:00-25:00", "UTC", "not a time of day"),
        ("Mon-Fri 09:00-18:00; Fri 17:00-19:00", "UTC", "overlap on Fri"),
        ("Mon-Fri 09:00-18:00", "Mars/Olympus", "unknown time zone"),
        ("Mon-Fri 9h-18h", "UTC", "cannot read"),
    ],
)
def test_hours_that_cannot_be_read_say_why(text: str, zone: str, says: str) -> None:
    with pytest.raises(CalendarError, match=says):
        BusinessHours.parse(text, zone)


def test_a_target_the_hours_can_never_reach_is_an_error_not_a_hang() -> None:
    tiny = BusinessHours.parse("Mon 09:00-09:01", "UTC")
    with pytest.raises(CalendarError):
        tiny.add(datetime(2026, 12, 7, tzinfo=UTC), timedelta(days=30))


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)
patterns = st.sampled_from(
    [
        ("", "UTC"),
        ("Mon-Fri 09:00-18:00", "Europe/Berlin"),
        ("Mon-Sun 01:00-03:30", "Europe/Berlin"),  # crosses the skipped and doubled hours
        ("Sat-Sun 00:00-24:00; Wed 12:00-13:00", "America/New_York"),
        ("Mon-Fri 08:00-12:00; Mon-Fri 13:00-17:00", "Australia/Lord_Howe"),  # 30 min DST
    ]
)


@settings(max_examples=300, deadline=None)
@given(patterns, instants, st.integers(0, 10 * 24 * 3600))
def test_adding_open_time_then_measuring_it_gives_it_back(
    pattern: tuple[str, str], start: datetime, seconds: int
) -> None:
    hours = BusinessHours.parse(*pattern)
    due = hours.add(start, timedelta(seconds=seconds))
    assert due >= start
    assert hours.elapsed(start, due) == timedelta(seconds=seconds)


@settings(max_examples=300, deadline=None)
@given(patterns, instants, instants, instants)
def test_open_time_adds_up_over_consecutive_stretches(
    pattern: tuple[str, str], a: datetime, b: datetime, c: datetime
) -> None:
    hours = BusinessHours.parse(*pattern)
    a, b, c = sorted((a, b, c))
    assert hours.elapsed(a, b) + hours.elapsed(b, c) == hours.elapsed(a, c)
    assert timedelta(0) <= hours.elapsed(a, c) <= c - a
