"""SLA clocks on hand-computed cases: targets, pauses, business hours, misses once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veil.domain import sla
from veil.domain.calendar import BusinessHours
from veil.domain.model import ClosedBy, Level, Priority
from veil.domain.sla import ClockRun, Finding, Owner, SlaClock, SlaError, SlaPolicy, Targets

T0 = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # a Tuesday
POLICY = SlaPolicy.default()  # always open; first response normal = 600 s, warned at 80 %
OWNER = Owner(agent_id=7, level=Level.L1)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def by_clock(runs: list[ClockRun]) -> dict[SlaClock, ClockRun]:
    return {run.clock: run for run in runs}


def test_targets_are_read_per_priority() -> None:
    targets = Targets.parse("urgent=120, high=300,normal=600,LOW=1800")
    assert targets.of(Priority.URGENT) == timedelta(minutes=2)
    assert targets.of(Priority.LOW) == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("urgent=120,high=300,normal=600", "no target for low"),
        ("urgent=120,urgent=60,high=300,normal=600,low=1800", "given twice"),
        ("asap=1,urgent=120,high=300,normal=600,low=1800", "unknown priority 'asap'"),
        ("urgent=0,high=300,normal=600,low=1800", "above 0"),
        ("urgent:120", "cannot read"),
    ],
)
def test_targets_that_cannot_be_read_say_why(text: str, says: str) -> None:
    with pytest.raises(SlaError, match=says):
        Targets.parse(text)


def test_a_first_response_in_time_is_met() -> None:
    runs = by_clock(sla.opened(1, Priority.NORMAL, T0, POLICY))
    sla.agent_answered(list(runs.values()), at(5), POLICY, OWNER)
    first = runs[SlaClock.FIRST_RESPONSE]
    assert first.is_stopped and first.answered and first.met is True
    assert first.used == timedelta(minutes=5)
    assert (first.agent_id, first.level) == (7, Level.L1)
    assert not runs[SlaClock.RESOLUTION].is_running  # waits for the client now


def test_the_warning_and_the_breach_are_each_found_once() -> None:
    (first, _resolution) = sla.opened(1, Priority.NORMAL, T0, POLICY)
    assert first.check_at == at(8)  # 80 % of 10 minutes
    assert first.look(at(7.9), POLICY) is None
    assert first.look(at(8), POLICY) is Finding.WARNED
    assert first.check_at == at(10)
    assert first.look(at(9), POLICY) is None
    assert first.look(at(10), POLICY) is Finding.BREACHED
    assert first.check_at == at(20)  # a whole target later: is it still missing?
    assert first.look(at(11), POLICY) is None
    sla.agent_answered([first], at(12), POLICY, OWNER)
    assert first.met is False and first.used == timedelta(minutes=12)
    assert first.breached_at == at(10) and first.check_at is None


def test_a_first_response_still_missing_is_found_once_a_target_until_settled() -> None:
    (first, resolution) = sla.opened(1, Priority.NORMAL, T0, POLICY)
    assert first.look(at(10), POLICY) is Finding.BREACHED
    assert first.look(at(19), POLICY) is None
    assert first.look(at(20), POLICY) is Finding.STILL_MISSED
    assert first.look(at(25), POLICY) is None and first.check_at == at(30)
    first.settle()  # nobody higher: the admins were told
    assert first.check_at is None and first.look(at(99), POLICY) is None
    # Only the first response climbs: a missed resolution is found once.
    assert resolution.look(at(24 * 60), POLICY) is Finding.BREACHED
    assert resolution.check_at is None and resolution.look(at(48 * 60), POLICY) is None


def test_a_miss_nobody_looked_at_is_still_recorded_when_the_run_stops() -> None:
    (first, _resolution) = sla.opened(1, Priority.NORMAL, T0, POLICY)
    sla.agent_answered([first], at(20), POLICY, OWNER)
    assert first.met is False and first.breached_at == at(20)


def test_a_late_look_finds_the_breach_without_a_warning_first() -> None:
    (first, _resolution) = sla.opened(1, Priority.NORMAL, T0, POLICY)
    assert first.look(at(30), POLICY) is Finding.BREACHED
    assert first.warned_at is None


def test_outside_business_hours_the_clocks_stand_still() -> None:
    hours = BusinessHours.parse("Mon-Fri 09:00-18:00", "Europe/Berlin")
    policy = SlaPolicy(POLICY.targets, hours)
    berlin = ZoneInfo("Europe/Berlin")
    friday = datetime(2026, 12, 11, 17, 55, tzinfo=berlin)
    (first, _resolution) = sla.opened(1, Priority.NORMAL, friday, policy)
    monday = datetime(2026, 12, 14, 9, 0, tzinfo=berlin)
    assert first.check_at == monday + timedelta(minutes=3)  # 5 min on Friday, 3 on Monday
    assert first.due(hours) == monday + timedelta(minutes=5)
    assert first.look(monday + timedelta(minutes=2), policy) is None
    sla.agent_answered([first], monday + timedelta(minutes=4), policy, OWNER)
    assert first.used == timedelta(minutes=9) and first.met is True


def test_resolution_pauses_while_the_ticket_waits_for_the_client() -> None:
    runs = sla.opened(1, Priority.NORMAL, T0, POLICY)
    resolution = by_clock(runs)[SlaClock.RESOLUTION]
    sla.agent_answered(runs, at(5), POLICY, OWNER)
    assert resolution.check_at is None  # nothing can be found while paused
    assert resolution.look(at(600), POLICY) is None
    running = [r for r in runs if not r.is_stopped]
    assert sla.client_wrote(running, 1, Priority.NORMAL, at(65), POLICY) != []
    sla.closed([resolution], at(70), POLICY, OWNER, ClosedBy.AGENT)
    assert resolution.used == timedelta(minutes=10)
    assert resolution.met is True and resolution.closed_by is ClosedBy.AGENT


def test_next_response_runs_from_the_oldest_unanswered_message() -> None:
    runs = sla.opened(1, Priority.NORMAL, T0, POLICY)
    sla.agent_answered(runs, at(2), POLICY, OWNER)
    running = [r for r in runs if not r.is_stopped]
    (next_run,) = sla.client_wrote(running, 1, Priority.NORMAL, at(20), POLICY)
    running.append(next_run)
    assert sla.client_wrote(running, 1, Priority.NORMAL, at(25), POLICY) == []
    assert next_run.clock is SlaClock.NEXT_RESPONSE and next_run.started_at == at(20)
    assert next_run.target == timedelta(minutes=20)
    sla.agent_answered(running, at(30), POLICY, OWNER)
    assert next_run.used == timedelta(minutes=10) and next_run.met is True
    running = [r for r in running if not r.is_stopped]
    (another,) = sla.client_wrote(running, 1, Priority.NORMAL, at(40), POLICY)
    assert another.started_at == at(40)


def test_messages_before_the_first_answer_start_no_next_response_run() -> None:
    runs = sla.opened(1, Priority.NORMAL, T0, POLICY)
    assert sla.client_wrote(runs, 1, Priority.NORMAL, at(1), POLICY) == []


def test_a_new_priority_brings_its_target_to_the_runs_under_way() -> None:
    (first, resolution) = sla.opened(1, Priority.NORMAL, T0, POLICY)
    sla.reprioritised([first, resolution], Priority.URGENT, POLICY)
    assert first.target == timedelta(minutes=2)
    assert first.check_at == T0 + timedelta(seconds=96)
    assert first.look(at(3), POLICY) is Finding.BREACHED


def test_a_close_before_any_answer_leaves_the_first_response_unanswered() -> None:
    runs = by_clock(sla.opened(1, Priority.NORMAL, T0, POLICY))
    sla.closed(list(runs.values()), at(3), POLICY, Owner(None, Level.L1), ClosedBy.CLIENT)
    first = runs[SlaClock.FIRST_RESPONSE]
    assert first.is_stopped and not first.answered and first.met is True
    assert first.agent_id is None


def test_a_reopened_ticket_runs_new_resolution_and_next_response_runs() -> None:
    started = sla.client_wrote([], 1, Priority.HIGH, at(100), POLICY)
    assert {r.clock for r in started} == {SlaClock.RESOLUTION, SlaClock.NEXT_RESPONSE}
    assert all(r.started_at == at(100) and r.is_running for r in started)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 3 * 24 * 60), min_size=1, max_size=30),
    st.lists(st.tuples(st.integers(0, 3 * 24 * 60), st.booleans()), max_size=10),
)
def test_whatever_the_looks_and_pauses_each_finding_comes_once(
    looks: list[int], switches: list[tuple[int, bool]]
) -> None:
    hours = BusinessHours.parse("Mon-Fri 09:00-18:00", "Europe/Berlin")
    policy = SlaPolicy(POLICY.targets, hours)
    (_first, run) = sla.opened(1, Priority.NORMAL, T0, policy)  # resolution: 1 day
    events = sorted([(m, "look", False) for m in looks] + [(m, "switch", b) for m, b in switches])
    found: list[Finding] = []
    for minute, kind, running in events:
        now = at(minute)
        if kind == "switch":
            (run.resume if running else run.pause)(now, policy)
            continue
        if run.check_at is not None and run.check_at > now:
            assert run.look(now, policy) is None  # nothing can be due before check_at
            continue
        finding = run.look(now, policy)
        if finding is not None:
            found.append(finding)
    assert found.count(Finding.WARNED) <= 1
    assert found.count(Finding.BREACHED) <= 1
    if Finding.BREACHED in found:
        assert run.breached_at is not None
        assert run.elapsed(run.breached_at, hours) >= run.target
