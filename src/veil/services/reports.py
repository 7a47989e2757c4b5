"""Reports to admins: ``/report [period]`` on demand, and the daily digest at
``VEIL_REPORT_TIME`` in the desk's time zone. A report is the digest (volume, backlog,
the figures, the best and worst SLA attainment by level) and a CSV of the figures per
group; both carry pseudonyms only (agents' aliases, ticket ids).

What is queued is only the request (``SendReport``): the report is made when it is
sent, from the figures then, so the outbox holds no figures and no large file.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from veil.domain.figures import Breakdown, Figures, Period, Share
from veil.domain.model import Level, Role
from veil.domain.sla import SlaClock
from veil.services import stats
from veil.services.context import Context, Sender
from veil.services.deliveries import SendReport, UserChat
from veil.services.people import ensure_user
from veil.services.ports import UnitOfWork
from veil.services.say import tell

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    text: str
    csv: str
    filename: str


async def on_demand(uow: UnitOfWork, ctx: Context, sender: Sender, args: str) -> None:
    """``/report [today|week|month|YYYY-MM-DD..YYYY-MM-DD]`` (admins: the guard said)."""
    admin = await ensure_user(uow, ctx, sender)
    period = stats.asked_period(ctx, args)
    if period is None:
        tell(uow, ctx, admin, "report-usage")
        return
    tell(uow, ctx, admin, "report-coming", period=stats.period_label(ctx, period))
    uow.outbox.add(_request(admin.id, period, daily=False))


async def digest_step(uow: UnitOfWork, ctx: Context) -> int:
    """The autopilot's step: the digest at ``ctx.report_at`` (when there is one)."""
    if ctx.report_at is None:
        return 0
    return await daily_digest(uow, ctx, ctx.report_at)


async def daily_digest(uow: UnitOfWork, ctx: Context, at: time) -> int:
    """Once a day, once ``at`` has passed in the desk's time zone: yesterday's report to
    every admin. The day is claimed in the same transaction, so with several instances
    exactly one sends it. Returns 1 when it was sent now."""
    zone = ctx.sla.hours.zone
    local = ctx.clock().astimezone(zone)
    if local.time() < at:
        return 0
    today = local.date()
    if not await uow.claims.claim(f"digest:{today.isoformat()}", ctx.clock()):
        return 0
    start = datetime.combine(today - timedelta(days=1), time(), tzinfo=zone)
    end = datetime.combine(today, time(), tzinfo=zone)
    period = Period(start.astimezone(UTC), end.astimezone(UTC))
    admins = await uow.users.with_role(Role.ADMIN)
    for admin in admins:
        uow.outbox.add(_request(admin.id, period, daily=True))
    log.info("daily digest queued", extra={"day": today.isoformat(), "admins": len(admins)})
    return 1


def _request(admin_id: int | None, period: Period, *, daily: bool) -> SendReport:
    assert admin_id is not None
    return SendReport(UserChat(admin_id), period.start.isoformat(), period.end.isoformat(), daily)


async def build(uow: UnitOfWork, ctx: Context, language: str | None, request: SendReport) -> Report:
    period = Period(datetime.fromisoformat(request.start), datetime.fromisoformat(request.end))
    desk = (await uow.figures.figures(period, Breakdown.DESK)).get(0, Figures())
    levels = await uow.figures.figures(period, Breakdown.LEVEL)
    by_agent = await uow.figures.figures(period, Breakdown.AGENT)
    aliases = {a.agent_id: a.alias for a in await uow.agents.all()}
    open_now = sum((await uow.tickets.open_by_desk()).values())
    waiting = await uow.tickets.count_waiting()
    shown = stats.period_label(ctx, period)
    best, worst = _extremes(levels)
    text = "\n".join(
        [
            ctx.texts(
                language,
                "report-daily" if request.daily else "report-header",
                period=shown,
                opened=desk.opened,
                closed=desk.closed,
                open=open_now,
                waiting=waiting,
            ),
            stats.figures_text(ctx, language, desk),
            ctx.texts(language, "report-levels", best=best, worst=worst),
        ]
    )
    rows: list[tuple[str, str, Figures]] = [("desk", "", desk)]
    rows += [("level", level.value, levels[level]) for level in Level if level in levels]
    rows += sorted(
        ("agent", aliases[key], figures)
        for key, figures in by_agent.items()
        if isinstance(key, int) and key in aliases
    )
    name = f"veil-report-{shown.replace(' – ', '_')}.csv"
    return Report(text, _csv(rows), name)


def _extremes(levels: Mapping[Hashable, Figures]) -> tuple[str, str]:
    """The levels with the best and the worst first-response attainment."""
    measured = [
        (share.ratio, level.value, share)
        for level in Level
        if level in levels
        and (share := levels[level].attainment.get(SlaClock.FIRST_RESPONSE, Share())).ratio
        is not None
    ]
    if not measured:
        return "—", "—"
    best = max(measured, key=lambda m: (m[0] or 0.0, m[1]))
    worst = min(measured, key=lambda m: (m[0] or 0.0, m[1]))
    return f"{best[1]} {stats.percent(best[2])}", f"{worst[1]} {stats.percent(worst[2])}"


COLUMNS = (
    "group",
    "name",
    "opened",
    "closed",
    "resolved_by_agent",
    "auto_closed",
    "ended_by_client",
    "reopened",
    "first_response_median_s",
    "first_response_p90_s",
    "next_response_median_s",
    "next_response_p90_s",
    "resolution_median_s",
    "resolution_p90_s",
    "sla_first_response",
    "sla_next_response",
    "sla_resolution",
    "ratings",
    "csat",
    "average_score",
)


def _csv(rows: list[tuple[str, str, Figures]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for group, name, f in rows:
        writer.writerow(
            [
                group,
                name,
                f.opened if group == "desk" else "",
                f.closed,
                f.resolved,
                f.auto_closed,
                f.abandoned,
                f.reopened,
                *(
                    _seconds(value)
                    for spread in (f.first_response, f.next_response, f.resolution)
                    for value in (spread.median, spread.p90)
                ),
                *(_ratio(f.attainment.get(clock, Share())) for clock in SlaClock),
                f.ratings,
                _ratio(f.csat),
                f"{f.average_score:.2f}" if f.average_score is not None else "",
            ]
        )
    return out.getvalue()


def _seconds(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds():.0f}"


def _ratio(share: Share) -> str:
    return "" if share.ratio is None else f"{share.ratio:.3f}"
