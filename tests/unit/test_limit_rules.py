"""The rules of limits and bans, in plain Python: the sliding window at its edges, the
time a limit lifts, durations and /ban's arguments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veil.domain.limits import Ban, Limit, LimitKind, Limits, judge, parse_duration
from veil.services.limits import BanOrder, parse_ban

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOUR = Limit(LimitKind.MESSAGES_PER_HOUR, 3, timedelta(hours=1))


def test_under_the_limit_is_allowed_and_at_it_refused_until_the_oldest_leaves() -> None:
    times = [T0, T0 + timedelta(minutes=10)]
    assert judge(times, HOUR, T0 + timedelta(minutes=20)).allowed
    times.append(T0 + timedelta(minutes=20))
    verdict = judge(times, HOUR, T0 + timedelta(minutes=30))
    assert not verdict.allowed and verdict.resets_at == T0 + timedelta(hours=1)


def test_an_event_stops_counting_exactly_one_window_later() -> None:
    times = [T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)]
    assert not judge(times, HOUR, T0 + timedelta(hours=1, microseconds=-1)).allowed
    assert judge(times, HOUR, T0 + timedelta(hours=1)).allowed


@given(st.lists(st.integers(min_value=0, max_value=7200), max_size=20), st.integers(0, 7200))
def test_allowed_exactly_when_fewer_than_the_limit_are_inside_the_window(
    offsets: list[int], at: int
) -> None:
    times = [T0 + timedelta(seconds=s) for s in offsets if s <= at]
    now = T0 + timedelta(seconds=at)
    inside = [t for t in times if now - t < HOUR.window]
    verdict = judge(times, HOUR, now)
    assert verdict.allowed == (len(inside) < HOUR.count)
    if not verdict.allowed:
        assert verdict.resets_at is not None and verdict.resets_at > now
        # At that moment one more is allowed.
        assert judge(times, HOUR, verdict.resets_at).allowed


def test_a_person_may_be_given_another_allowance() -> None:
    limits = Limits(messages_per_hour=50)
    assert limits.of(LimitKind.MESSAGES_PER_HOUR).count == 50
    assert limits.of(LimitKind.MESSAGES_PER_HOUR, 200).count == 200
    assert limits.of(LimitKind.TICKETS_PER_DAY).window == timedelta(days=1)


def test_a_ban_holds_until_its_end_or_for_good() -> None:
    assert Ban(1, T0, T0 + timedelta(minutes=30)).active(T0 + timedelta(minutes=29))
    assert not Ban(1, T0, T0 + timedelta(minutes=30)).active(T0 + timedelta(minutes=30))
    assert Ban(1, T0, None).active(T0 + timedelta(days=3000))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7D", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0m", "7", "7x", "-3d", "99999999d", "1.5h", "3 d"])
def test_bad_durations_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_ban_arguments() -> None:
    assert parse_ban("supp-1-ab12 7d spam, twice") == BanOrder(
        "SUPP-1-AB12", timedelta(days=7), "spam, twice"
    )
    assert parse_ban("SUPP-1-AB12") == BanOrder("SUPP-1-AB12", None, None)
    assert parse_ban("SUPP-1-AB12 rude to agents") == BanOrder(
        "SUPP-1-AB12", None, "rude to agents"
    )
    assert parse_ban("") == "ban-usage"
    assert parse_ban("SUPP-1-AB12 7x") == "ban-bad-duration"
    assert parse_ban("SUPP-1 " + "x" * 500) == BanOrder("SUPP-1", None, "x" * 200)
