"""``/stats [period]``: an agent's own figures; an admin's view of the desk, each level
and each agent. Periods as ``domain.figures.parse_period`` reads them."""

from __future__ import annotations

from datetime import timedelta

from veil.domain.figures import Breakdown, Figures, Period, Share, parse_period
from veil.domain.metrics import humanise
from veil.domain.model import Level, User
from veil.domain.sla import SlaClock
from veil.services.agents import ensure_agent
from veil.services.context import Context, Sender
from veil.services.people import ensure_user
from veil.services.ports import UnitOfWork
from veil.services.say import tell


async def stats(uow: UnitOfWork, ctx: Context, sender: Sender, args: str) -> None:
    user = await ensure_user(uow, ctx, sender)
    period = asked_period(ctx, args)
    if period is None:
        tell(uow, ctx, user, "stats-usage")
        return
    shown = period_label(ctx, period)
    if user.is_admin:
        await _desk_stats(uow, ctx, user, period, shown)
        return
    agent = await ensure_agent(uow, ctx, user)
    if agent is None:
        tell(uow, ctx, user, "agents-only")
        return
    mine = (await uow.figures.figures(period, Breakdown.AGENT)).get(agent.agent_id, Figures())
    body = figures_text(ctx, user.language, mine)
    tell(
        uow, ctx, user, "stats", alias=agent.alias, period=shown, open=agent.open_tickets, body=body
    )


async def _desk_stats(
    uow: UnitOfWork, ctx: Context, user: User, period: Period, shown: str
) -> None:
    desk = (await uow.figures.figures(period, Breakdown.DESK)).get(0, Figures())
    levels = await uow.figures.figures(period, Breakdown.LEVEL)
    agents = await uow.figures.figures(period, Breakdown.AGENT)
    lines = [
        ctx.texts(user.language, "stats-desk", period=shown, opened=desk.opened),
        figures_text(ctx, user.language, desk),
    ]
    for level in Level:
        if level in levels:
            lines.append(ctx.texts(user.language, "stats-level", level=level.value))
            lines.append(figures_text(ctx, user.language, levels[level]))
    aliases = {a.agent_id: a.alias for a in await uow.agents.all()}
    for agent_id, figures in sorted(agents.items(), key=lambda item: str(item[0])):
        if isinstance(agent_id, int) and agent_id in aliases:
            lines.append(agent_line(ctx, user.language, aliases[agent_id], figures))
    tell(uow, ctx, user, "plain", text="\n".join(lines))


def figures_text(ctx: Context, language: str | None, f: Figures) -> str:
    return ctx.texts(
        language,
        "figures",
        fr_median=humanise(f.first_response.median),
        fr_p90=humanise(f.first_response.p90),
        fr_count=f.first_response.count,
        nr_median=humanise(f.next_response.median),
        nr_p90=humanise(f.next_response.p90),
        res_median=humanise(f.resolution.median),
        res_p90=humanise(f.resolution.p90),
        sla_fr=percent(f.attainment.get(SlaClock.FIRST_RESPONSE, Share())),
        sla_nr=percent(f.attainment.get(SlaClock.NEXT_RESPONSE, Share())),
        sla_res=percent(f.attainment.get(SlaClock.RESOLUTION, Share())),
        closed=f.closed,
        resolved=percent(f.resolution_rate),
        auto_closed=f.auto_closed,
        abandoned=f.abandoned,
        reopened=percent(f.reopen_rate),
        csat=percent(f.csat),
        average=f"{f.average_score:.1f}" if f.average_score is not None else "—",
        ratings=f.ratings,
        response=percent(f.rating_response),
    )


def agent_line(ctx: Context, language: str | None, alias: str, f: Figures) -> str:
    return ctx.texts(
        language,
        "stats-agent",
        alias=alias,
        fr_median=humanise(f.first_response.median),
        sla_fr=percent(f.attainment.get(SlaClock.FIRST_RESPONSE, Share())),
        closed=f.closed,
        csat=percent(f.csat),
    )


def percent(share: Share) -> str:
    ratio = share.ratio
    return "—" if ratio is None else f"{round(ratio * 100)} %"


def asked_period(ctx: Context, args: str) -> Period | None:
    """The period a command names, in the desk's days (its time zone)."""
    return parse_period(args, ctx.clock(), ctx.sla.hours.zone)


def period_label(ctx: Context, period: Period) -> str:
    zone = ctx.sla.hours.zone
    first = period.start.astimezone(zone).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(zone).date()
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"
