"""The SLA settings: read into a policy, or refused with the reason and the setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from veil.config import ConfigError, load_settings
from veil.domain.model import Priority
from veil.domain.sla import SlaClock


def test_the_defaults_make_a_policy_that_is_always_open() -> None:
    policy = load_settings().sla_policy()
    assert policy.target(SlaClock.FIRST_RESPONSE, Priority.URGENT) == timedelta(seconds=120)
    assert policy.hours.is_always


def test_targets_hours_and_zone_come_from_the_settings() -> None:
    settings = load_settings(
        sla_first_response="urgent=60,high=120,normal=180,low=240",
        business_hours="Mon-Fri 09:00-17:00",
        timezone="America/New_York",
        sla_warn_at=0.5,
    )
    policy = settings.sla_policy()
    assert policy.target(SlaClock.FIRST_RESPONSE, Priority.LOW) == timedelta(seconds=240)
    saturday = datetime(2026, 12, 12, 15, 0, tzinfo=UTC)
    assert not policy.hours.is_open(saturday)
    assert policy.warning_lead(timedelta(minutes=10)) == timedelta(minutes=5)


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("sla_resolution", "urgent=1,high=2", "no target for low, normal"),
        ("business_hours", "weekdays 9-5", "cannot read business hours"),
        ("timezone", "Moon/Base", "unknown time zone"),
        ("report_time", "25:00", "time of day like 09:00"),
        ("sla_warn_at", "1.5", "less than 1"),
    ],
)
def test_a_wrong_setting_is_refused_with_the_reason(setting: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as caught:
        load_settings(**{setting: value})
    assert f"VEIL_{setting.upper()}" in str(caught.value)


def test_a_warning_no_shorter_than_the_auto_close_is_refused() -> None:
    with pytest.raises(ConfigError, match="WARNING_SECONDS must be shorter"):
        load_settings(auto_close_seconds=1800)  # the default warning is an hour
