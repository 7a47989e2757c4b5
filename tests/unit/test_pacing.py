"""Flood-limit arithmetic with a fake clock: token buckets and merging bursts of texts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from veil.domain.pacing import BOUNDARY, TokenBucket, join, merge_texts


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


def test_consecutive_texts_are_merged_in_order_within_the_limit() -> None:
    assert merge_texts(["hi", "are you there?", "hello??"], limit=100) == [[0, 1, 2]]
    long = "x" * 60
    assert merge_texts([long, long, "short"], limit=100) == [[0], [1, 2]]
    assert join(["a", "b"]) == f"a{BOUNDARY}b"


@given(st.lists(st.text(min_size=1, max_size=300), max_size=40), st.integers(50, 600))
def test_merging_keeps_every_text_once_in_order_and_fits(texts: list[str], limit: int) -> None:
    groups = merge_texts(texts, limit)
    assert [i for group in groups for i in group] == list(range(len(texts)))
    for group in groups:
        merged = join([texts[i] for i in group])
        assert len(merged) <= limit or len(group) == 1
