"""Flood-limit arithmetic with a fake clock: token buckets and merging bursts of texts."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veil.domain.pacing import FloodLimits, TokenBucket


def test_a_group_bucket_allows_twenty_a_minute_then_one_every_three_seconds() -> None:
    bucket = TokenBucket.full(rate=20 / 60, burst=20, now=0.0)
    for _ in range(20):
        assert bucket.wait(0.0) == 0.0
        bucket.take(0.0)
    assert bucket.wait(0.0) == 3.0  # the 21st waits for one token to come back
    assert bucket.wait(3.0) == 0.0
    bucket.take(3.0)
    assert bucket.wait(4.5) == 1.5


def test_a_bucket_never_saves_more_than_its_burst() -> None:
    bucket = TokenBucket.full(rate=1.0, burst=3, now=0.0)
    assert bucket.wait(1000.0) == 0.0
    for _ in range(3):
        bucket.take(1000.0)
    assert bucket.wait(1000.0) == 1.0


def test_flood_limits_give_burst_one_buckets_shaved_by_the_margin() -> None:
    limits = FloodLimits()
    assert limits.bucket("private") == pytest.approx((0.9, 1.0))
    assert limits.bucket("group") == pytest.approx((20 / 60 * 0.9, 1.0))
    assert limits.bucket("global") == pytest.approx((27.0, 1.0))
    assert FloodLimits(margin=0).bucket("group") == pytest.approx((1 / 3, 1.0))
    with pytest.raises(ValueError):
        FloodLimits(group_per_minute=0)
    with pytest.raises(ValueError):
        FloodLimits(margin=1.0)


def test_a_private_chat_waits_a_little_over_a_second_between_messages() -> None:
    bucket = FloodLimits().new_bucket("private", now=100.0)
    assert bucket.wait(100.0) == 0.0
    bucket.take(100.0)
    assert bucket.wait(100.0) == pytest.approx(1 / 0.9)
    assert bucket.wait(100.0 + 1 / 0.9) == pytest.approx(0.0, abs=1e-9)


def test_an_album_is_taken_at_once_and_its_debt_delays_what_follows() -> None:
    bucket = TokenBucket.full(rate=1.0, burst=1, now=0.0)
    bucket.take(0.0, count=10)  # one token was there: the whole album goes
    assert bucket.tokens == -9
    assert bucket.wait(0.0) == 10.0  # the debt of 9, then one token for the next
    assert bucket.wait(4.0) == 6.0
    assert bucket.wait(10.0) == 0.0
    with pytest.raises(ValueError):
        bucket.take(10.0, count=0)


def test_a_full_bucket_refills_no_further_and_time_going_back_refills_nothing() -> None:
    bucket = TokenBucket.full(rate=1.0, burst=1, now=10.0)
    bucket.take(10.0)
    assert bucket.wait(5.0) == 1.0  # an earlier ``now`` is not a refund
    assert bucket.wait(1000.0) == 0.0
    assert bucket.tokens == 1


def _admit(bucket: TokenBucket, attempts: list[float], counts: list[int]) -> list[float]:
    """Times of each message let through, trying at each attempt (sorted times)."""
    sent: list[float] = []
    for now, count in zip(attempts, counts, strict=True):
        if bucket.wait(now) == 0:
            bucket.take(now, count)
            sent.extend([now] * count)
    return sent


def _most_in_a_window(sent: list[float], window: float) -> int:
    """The most messages inside any closed interval of length ``window``."""
    most, first = 0, 0
    for last, end in enumerate(sent):
        while end - sent[first] > window:
            first += 1
        most = max(most, last - first + 1)
    return most


_attempt_times = st.lists(st.floats(0, 600, allow_nan=False), min_size=1, max_size=300).map(sorted)


@given(_attempt_times)
def test_a_group_bucket_never_allows_more_than_twenty_in_any_minute(times: list[float]) -> None:
    rate, burst = FloodLimits().bucket("group")
    sent = _admit(TokenBucket.full(rate, burst, times[0]), times, [1] * len(times))
    assert _most_in_a_window(sent, 60.0) <= 20


@given(_attempt_times)
def test_a_private_chat_bucket_never_allows_two_within_a_second(times: list[float]) -> None:
    rate, burst = FloodLimits().bucket("private")
    sent = _admit(TokenBucket.full(rate, burst, times[0]), times, [1] * len(times))
    assert all(b - a > 1.0 for a, b in itertools.pairwise(sent))


@given(st.data())
def test_debt_keeps_every_window_within_the_rate_plus_the_last_album(data: st.DataObject) -> None:
    times = data.draw(_attempt_times)
    counts = data.draw(st.lists(st.integers(1, 10), min_size=len(times), max_size=len(times)))
    rate, burst = FloodLimits().bucket("group")
    sent = _admit(TokenBucket.full(rate, burst, times[0]), times, counts)
    # Albums are let through whole, so a window may hold one album beyond the rate; the
    # debt it leaves then keeps the windows after it under the limit again.
    assert _most_in_a_window(sent, 60.0) <= rate * 60 + max(counts)
