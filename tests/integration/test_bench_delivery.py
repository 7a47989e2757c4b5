"""A tiny ``veil bench delivery`` run, so the benchmark cannot rot: the bot as a real
process, faketg with Telegram's limits on, SQLite. Figures are not asserted, only that
nothing was lost, doubled or reordered, and that the report has every figure."""

from __future__ import annotations

import asyncio
import json
from dataclasses import fields
from pathlib import Path

import pytest

from veil.bench import delivery
from veil.bench.traffic import Shape

pytestmark = pytest.mark.e2e


async def test_a_small_run_loses_nothing_and_reports_every_figure(tmp_path: Path) -> None:
    config = delivery.DeliveryConfig(
        clients=5,
        agents=2,
        duration=10,
        seed=4,
        drain_timeout=30,
        # Bursty, with albums and long texts, but under the 20 messages a group may take
        # in its first minute, so the run stays short whatever the bot does.
        shape=Shape(idle_mean=3, album_chance=0.2, long_chance=0.2, answer_mean=3),
        max_messages=15,
        bot_log=tmp_path / "bot.log",
    )
    lines: list[str] = []
    async with asyncio.timeout(90):
        report = await delivery.run_delivery(config, lines.append)

    assert report.accepted > 0, lines
    assert report.lost == 0, (report, (tmp_path / "bot.log").read_text()[-3000:])
    assert report.delivered == report.accepted
    assert report.duplicated == 0
    assert report.misrouted == 0
    assert report.order_violations == 0
    assert report.tickets_order_kept == report.tickets == 5
    assert report.answers_lost == 0
    assert report.drained
    assert report.bot_exit_code == 0
    assert report.bot_log_tracebacks == 0
    # Every figure is there and the JSON form holds them all.
    data = delivery.as_json(report)
    assert {f.name for f in fields(delivery.DeliveryReport)} <= set(data)
    assert json.loads(json.dumps(data))["ok"] is True
    assert len(report.desks) == 1
    desk = report.desks[0]
    assert desk.client_messages == report.delivered
    assert desk.bot_messages > 0
    assert report.group_limit_per_minute > 0
    assert 0 < report.delay_p50 <= report.delay_p95 <= report.delay_p99 <= report.delay_max
    assert report.api_calls > 0
    assert report.bot_cpu_seconds > 0
    assert report.bot_peak_rss_mb > 0
