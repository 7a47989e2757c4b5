"""``veil bench delivery``: how well delivery copes with Telegram's flood limits.

Everything but the bot runs in this process: faketg (enforcing Telegram's limits), N
scripted clients and M scripted agents. The bot is ``veil run`` in a subprocess, polling
faketg over HTTP exactly as it polls Telegram, so its CPU and memory are its own.

Phases of a run:

1. **Set-up, limits off.** Agents go online; every client presses Live Support and gets
   a ticket, a topic and a card. With the limits on, opening 200 topics (a topic, a card
   and an assignment notice each) would take about half an hour at 20 messages a minute
   to one group; it is not what is measured. What is measured is steady-state relay.
   The bot paces itself too, so the set-up bot runs with its pacing lifted
   (``UNPACED``); then it is stopped and a fresh bot process with its normal settings
   serves the measured phases.
2. **Traffic, limits on** (and faults, and kills, if asked): bursty clients (idle
   pauses, typing bursts of short texts, now and then an album or a long text) and agents
   answering their own tickets. Every message carries a unique tag and its send time.
3. **Drain, limits still on:** until everything accepted is delivered, or the drain
   timeout passes.

Every figure is computed from what faketg saw (messages stored, calls answered), never
from the bot's own account. ``--capacity`` measures the bot's own speed instead, limits
off: relayed messages a second when clients write as fast as the bench can inject, and
the latency the bot adds at a fixed offered load.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import re
import resource
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from veil.bench.botproc import TOKEN, BenchError, BotProcess, add_agents, bot_env
from veil.bench.observe import Observer
from veil.bench.traffic import Shape, client_tag, long_text, short_answer, short_text
from veil.faketg import FakeTelegram, RateLimits, ScenarioError
from veil.faketg.chaos import FAULT_KINDS, POSTING_METHODS, Chaos

LOST_EXAMPLES = 10
SETUP_TIMEOUT = 60.0  # for one ticket to open, one agent to go online
QUIET = 2.0  # seconds without a Bot API call (polls aside) that end the set-up
TICKET = re.compile(r"SUPP-\d+-[A-Z0-9]+")
# The bot's own flood pacing, lifted: for the set-up, and for --capacity.
UNPACED = {
    "VEIL_FLOOD_CHAT_PER_SECOND": "1000000",
    "VEIL_FLOOD_GROUP_PER_MINUTE": "1000000",
    "VEIL_FLOOD_GLOBAL_PER_SECOND": "1000000",
}
Progress = Callable[[str], None]


@dataclass
class DeliveryConfig:
    clients: int = 200
    agents: int = 10
    duration: float = 120.0  # seconds of traffic (--capacity: of each of its two phases)
    database_url: str | None = None  # None: a temporary SQLite file
    limits: bool = True
    chaos: float = 0.0  # share of Bot API calls answered with a fault, all kinds together
    kill_every: float | None = None  # SIGKILL and restart the bot this often
    desks: int = 1
    seed: int | None = None
    drain_timeout: float = 600.0
    shape: Shape = field(default_factory=Shape)
    max_messages: int | None = None  # a ceiling on client messages, for short runs
    bot_log: Path | None = None
    bot_log_level: str = "INFO"
    bot_env: dict[str, str] = field(default_factory=dict)  # extra VEIL_* settings
    capacity: bool = False
    rate: float = 100.0  # --capacity: offered load for the latency figure, messages/s
    blast_backlog: int = 2000  # --capacity: undelivered messages the blast keeps queued


# -- figures ---------------------------------------------------------------------------------


@dataclass
class DeskFigures:
    chat_id: int
    client_messages_in_traffic: int  # delivered to this desk during the traffic phase
    per_minute_in_traffic: float
    ratio_in_traffic: float  # per_minute_in_traffic / the group limit
    client_messages: int  # delivered to this desk in the whole run (traffic and drain)
    per_minute_overall: float  # from traffic start to the last delivery
    ratio_overall: float
    bot_messages: int  # every message the bot posted to the desk (traffic and drain)
    bot_messages_per_minute: float


@dataclass
class DeliveryReport:
    settings: dict[str, Any]
    accepted: int
    delivered: int
    lost: int
    duplicated: int
    misrouted: int
    lost_examples: list[dict[str, Any]]  # a few lost messages and the calls that named them
    tickets: int
    tickets_order_kept: int
    order_violations: int
    group_limit_per_minute: int
    desks: list[DeskFigures]
    delay_p50: float
    delay_p95: float
    delay_p99: float
    delay_max: float
    api_calls: int  # traffic and drain, getUpdates not counted
    api_calls_429: int
    api_429_percent: float
    api_posting_calls: int  # calls that post messages, the ones Telegram's limits count
    api_429_percent_of_posting: float
    api_429_from_limits: int  # the rest were injected by chaos
    api_other_errors: int
    faults_injected: dict[str, int]
    api_polls: int
    calls_by_method: dict[str, int]
    answers_sent: int
    answers_delivered: int
    answers_lost: int
    answers_duplicated: int
    answers_lost_to_blocked: int  # to clients that blocked the bot (chaos): undeliverable
    bot_cpu_seconds: float
    bot_cpu_seconds_measured: float  # traffic and drain only
    bot_peak_rss_mb: float
    bot_starts: int
    bot_kills: int
    bot_unexpected_exits: int
    bot_exit_code: int
    bench_cpu_seconds: float
    traffic_seconds: float
    drain_seconds: float
    drained: bool
    bot_log: str
    bot_log_errors: int
    bot_log_warnings: int
    bot_log_tracebacks: int

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.order_violations == 0 and self.misrouted == 0


@dataclass
class CapacityRun:
    database: str
    clients: int
    blast_seconds: float
    blast_sent: int
    blast_delivered: int  # delivered while the blast lasted
    blast_desk_messages: int  # messages the bot posted to the desk meanwhile
    relayed_per_second: float  # per bot process (there is one)
    rate: float
    rate_seconds: float
    rate_sent: int
    rate_delivered: int
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    lost: int
    duplicated: int
    bot_cpu_seconds: float
    bot_peak_rss_mb: float
    bench_cpu_seconds: float
    bot_log: str
    bot_log_errors: int


@dataclass
class CapacityReport:
    settings: dict[str, Any]
    runs: list[CapacityRun]

    @property
    def ok(self) -> bool:
        return all(r.lost == 0 for r in self.runs)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), interpolated; 0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[min(98, max(0, round(p) - 1))]


# -- the world of one run ------------------------------------------------------------------


@dataclass
class Client:
    index: int
    user_id: int
    rng: random.Random
    ticket: str | None = None
    seq: int = 0


@dataclass
class Agent:
    index: int
    user_id: int
    rng: random.Random
    seq: int = 0


@dataclass
class Budget:
    left: float = math.inf

    def take(self, n: int) -> bool:
        if self.left < n:
            return False
        self.left -= n
        return True


@dataclass
class Run:
    config: DeliveryConfig
    tg: FakeTelegram
    bot: BotProcess
    desks: list[int]
    clients: list[Client]
    agents: list[Agent]
    observer: Observer
    database_url: str
    progress: Progress
    budget: Budget = field(default_factory=Budget)
    unexpected_exits: int = 0


def _default_database(workdir: Path) -> str:
    return f"sqlite+aiosqlite:///{workdir / 'bench.db'}"


def _describe_database(url: str) -> str:
    return "postgresql" if make_url(url).drivername.startswith("postgresql") else "sqlite"


@contextlib.asynccontextmanager
async def _world(
    config: DeliveryConfig, database_url: str, workdir: Path, progress: Progress
) -> AsyncIterator[Run]:
    """faketg, the people, the bot process; tickets opened with the limits off.

    Agents may hold ceil(clients / agents) tickets each, so that every ticket has an
    owner who can answer it."""
    master = random.Random(config.seed)
    tg = FakeTelegram()
    tg.add_bot(TOKEN, username="veil_bench_bot", first_name="Scheduler")
    agents = [
        Agent(i, tg.add_user(f"Agent{i}", username=f"agent_{i}"), random.Random(master.random()))
        for i in range(config.agents)
    ]
    desks = [
        tg.add_supergroup(
            f"Support desk {k + 1}", is_forum=True, members=[a.user_id for a in agents]
        )
        for k in range(config.desks)
    ]
    clients = [
        Client(i, tg.add_user(f"Client{i}", username=f"client_{i}"), random.Random(master.random()))
        for i in range(config.clients)
    ]
    log_path = config.bot_log or workdir / "bot.log"
    url = await tg.start()
    capacity = min(50, max(5, math.ceil(config.clients / max(1, config.agents))))
    extra = {"VEIL_AGENT_CAPACITY": str(capacity), **config.bot_env}
    bot: BotProcess | None = None
    observer_task: asyncio.Task[None] | None = None
    try:
        env = bot_env(database_url, url, desks, log_level=config.bot_log_level, extra=extra)
        progress(f"database {_describe_database(database_url)}; bot log {log_path}")
        await add_agents(env, [a.user_id for a in agents])
        # The set-up runs with faketg's limits off, and so must the bot's own pacing, or
        # it would still send 20 messages a minute to the desk (see the module's doc).
        bot = BotProcess({**env, **UNPACED}, log_path)
        await bot.start()
        observer = Observer(tg, desks, {c.user_id: c.index for c in clients})
        observer_task = asyncio.create_task(observer.run())
        run = Run(config, tg, bot, desks, clients, agents, observer, database_url, progress)
        await _set_up(run)
        # The measured bot: a fresh process with the bot's own settings (--capacity
        # measures the bot without pacing, as faketg's limits are off then too).
        await bot.stop()
        bot.env = {**env, **UNPACED} if config.capacity else env
        await _restart(run)
        yield run
    finally:
        if observer_task is not None:
            observer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await observer_task
        if bot is not None:
            await bot.stop()
        await tg.stop()


async def _restart(run: Run) -> None:
    """Start the bot and wait for its first poll, so that start-up is not measured."""
    polls = _polls(run.tg)
    await run.bot.start()
    await run.tg.wait_for(lambda: _polls(run.tg) > polls, timeout=SETUP_TIMEOUT)


def _polls(tg: FakeTelegram) -> int:
    return sum(1 for c in tg.calls if c.method == "getUpdates")


async def _set_up(run: Run) -> None:
    tg, started = run.tg, time.monotonic()
    tg.limits = None
    run.progress(f"set-up (limits off): {len(run.agents)} agents go online ...")
    await asyncio.gather(*(_go_online(tg, a) for a in run.agents))
    run.progress(f"set-up (limits off): {len(run.clients)} clients open tickets ...")
    gate = asyncio.Semaphore(20)

    async def open_one(client: Client) -> None:
        async with gate:
            await _open_ticket(run, client)

    await asyncio.gather(*(open_one(c) for c in run.clients))
    await _quiet(tg)
    owned = sum(1 for c in run.clients if c.index in run.observer.owner)
    run.progress(
        f"set-up done in {time.monotonic() - started:.0f}s: {len(run.clients)} tickets "
        f"({owned} with an owner), {len(run.agents)} agents online"
    )


async def _bot_reply(
    tg: FakeTelegram, chat_id: int, after: int, match: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        return next((m for m in tg.bot_messages(chat_id)[after:] if match(m)), None)

    await tg.wait_for(lambda: found() is not None, timeout=SETUP_TIMEOUT)
    message = found()
    assert message is not None
    return message


async def _go_online(tg: FakeTelegram, agent: Agent) -> None:
    seen = len(tg.bot_messages(agent.user_id))
    tg.send_text(agent.user_id, agent.user_id, "/online")
    await _bot_reply(tg, agent.user_id, seen, lambda m: True)


async def _open_ticket(run: Run, client: Client) -> None:
    tg, me = run.tg, client.user_id
    seen = len(tg.bot_messages(me))
    tg.send_text(me, me, "/start")
    menu = await _bot_reply(tg, me, seen, lambda m: "sup:open" in _buttons(m))
    tg.press_button(me, me, menu["message_id"], "sup:open")
    opened = await _bot_reply(tg, me, seen, lambda m: TICKET.search(_text(m)) is not None)
    found = TICKET.search(_text(opened))
    assert found is not None
    client.ticket = found.group(0)
    run.observer.register_ticket(client.ticket, client.index)
    await tg.wait_for(lambda: client.index in run.observer.location, timeout=SETUP_TIMEOUT)


async def _quiet(tg: FakeTelegram, limit: float = 120.0) -> None:
    """Wait until the bot has made no call but getUpdates for ``QUIET`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        count = _sends(tg)
        await asyncio.sleep(QUIET)
        if _sends(tg) == count:
            return


def _sends(tg: FakeTelegram) -> int:
    return sum(1 for c in tg.calls if c.method != "getUpdates")


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _buttons(message: dict[str, Any]) -> set[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {str(b.get("callback_data")) for row in rows for b in row}


# -- faults ------------------------------------------------------------------------------------


def _chaos(rate: float, seed: int | None) -> Chaos:
    """faketg's fault injector with ``rate`` spread evenly over every kind it knows."""
    shares: dict[str, Any] = {kind: rate / len(FAULT_KINDS) for kind in FAULT_KINDS}
    return Chaos(**shares, seed=seed)


# -- traffic ------------------------------------------------------------------------------------


async def _sleep_until(deadline: float, seconds: float) -> bool:
    """Sleep ``seconds``, or until ``deadline`` (time.time()); False once it has passed."""
    left = deadline - time.time()
    if left <= 0:
        return False
    await asyncio.sleep(min(seconds, left))
    return time.time() < deadline


def _client_text(run: Run, client: Client, make: Callable[[str], str]) -> bool:
    if not run.budget.take(1):
        return False
    client.seq += 1
    at = time.time()
    tag = run.observer.client_sent(client.index, client.seq, at)
    try:
        run.tg.send_text(client.user_id, client.user_id, make(tag))
    except ScenarioError:
        run.observer.client_messages.forget(tag)  # not sent, so not accepted
        return False
    return True


def _client_album(run: Run, client: Client, size: int) -> None:
    """An album whose every photo has a caption of its own (as Telegram allows), so that
    each item can be found again."""
    if not run.budget.take(size):
        return
    group = run.tg.world.new_media_group_id()
    for n in range(size):
        client.seq += 1
        tag = run.observer.client_sent(client.index, client.seq, time.time())
        try:
            run.tg.send_media(
                client.user_id,
                client.user_id,
                "photo",
                caption=f"{tag} photo {n + 1}/{size}",
                media_group_id=group,
            )
        except ScenarioError:
            run.observer.client_messages.forget(tag)


async def _client(run: Run, client: Client, until: float) -> None:
    shape, rng = run.config.shape, client.rng
    # The first pause is drawn like the others, so clients start out of step.
    while await _sleep_until(until, shape.idle(rng)):
        kind, size = shape.activity(rng)
        if kind == "album":
            _client_album(run, client, size)
        elif kind == "long":
            _client_text(run, client, lambda tag: long_text(rng, tag))
        else:
            for n in range(size):
                if n and not await _sleep_until(until, shape.gap(rng)):
                    break
                if not _client_text(run, client, lambda tag: short_text(rng, tag)):
                    break


async def _agent(run: Run, agent: Agent, until: float) -> None:
    shape, rng, observer = run.config.shape, agent.rng, run.observer
    while await _sleep_until(until, shape.answer_pause(rng)):
        mine = sorted(
            c
            for c, owner in observer.owner.items()
            if owner == agent.user_id and c in observer.location
        )
        if not mine:
            continue
        client = rng.choice(mine)
        desk, thread = observer.location[client]
        agent.seq += 1
        tag = observer.answer_sent(agent.index, agent.seq, time.time(), client)
        try:
            run.tg.send_text(agent.user_id, desk, short_answer(rng, tag), thread_id=thread)
        except ScenarioError:
            observer.answers.forget(tag)  # the topic is gone; the answer was never written


async def _supervise(run: Run, stop: asyncio.Event) -> None:
    """Restart a bot that died; with --kill-every, SIGKILL it that often and restart it."""
    every = run.config.kill_every
    next_kill = time.monotonic() + every if every else math.inf
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)
        if stop.is_set():
            return
        if not run.bot.alive:
            run.unexpected_exits += 1
            run.progress(
                f"the bot exited by itself (code {run.bot.proc and run.bot.proc.returncode}); "
                "restarting"
            )
            await run.bot.stop()
            await run.bot.start()
        if time.monotonic() >= next_kill:
            await run.bot.kill()
            await run.bot.start()
            next_kill = time.monotonic() + (every or math.inf)
            run.progress(f"killed the bot with SIGKILL and restarted it ({run.bot.kills} so far)")


async def _drain(run: Run) -> tuple[float, bool]:
    started = time.time()
    deadline = started + run.config.drain_timeout
    next_report = started
    while True:
        run.observer.scan()
        messages, answers, oldest = run.observer.backlog()
        now = time.time()
        if not messages and not answers:
            run.progress(f"drained in {now - started:.0f}s")
            return now - started, True
        if now >= deadline:
            run.progress(
                f"drain timeout ({run.config.drain_timeout:.0f}s): {messages} client messages "
                f"and {answers} answers still undelivered"
            )
            return now - started, False
        if now >= next_report:
            run.progress(
                f"drain {now - started:4.0f}s: backlog {messages} client messages, {answers} "
                f"answers; oldest waiting {oldest:.0f}s"
            )
            next_report = now + 5
        await asyncio.sleep(0.5)


# -- the delivery run ---------------------------------------------------------------------------


async def run_delivery(config: DeliveryConfig, progress: Progress | None = None) -> DeliveryReport:
    """The entry point of ``veil bench delivery`` (and of its smoke test)."""
    say = progress or (lambda _: None)
    if config.capacity:
        raise BenchError("use run_capacity for --capacity")
    if config.seed is None:
        config.seed = random.randrange(1_000_000)
    workdir = Path(tempfile.mkdtemp(prefix="veil-bench-"))
    database_url = config.database_url or _default_database(workdir)
    async with _world(config, database_url, workdir, say) as run:
        if config.max_messages is not None:
            run.budget = Budget(config.max_messages)
        return await _measure(run)


async def _measure(run: Run) -> DeliveryReport:
    config, tg, observer = run.config, run.tg, run.observer
    limits = RateLimits()
    if config.limits:
        tg.limits = limits
    if config.chaos > 0:
        tg.chaos = _chaos(config.chaos, config.seed)
    first_call = len(tg.calls)
    injected_before = dict(tg.chaos_counts)
    usage_before = run.bot.usage().cpu_seconds
    bench_before = _own_cpu()
    traffic_start = time.time()
    until = traffic_start + config.duration
    say = run.progress
    say(
        f"traffic for {config.duration:.0f}s: limits {'on' if config.limits else 'off'}"
        + (f", chaos {config.chaos:.1%}" if config.chaos else "")
        + (f", SIGKILL every {config.kill_every:.0f}s" if config.kill_every else "")
    )
    stop = asyncio.Event()
    supervisor = asyncio.create_task(_supervise(run, stop))
    ticker = asyncio.create_task(_tick(run, traffic_start, until))
    try:
        await asyncio.gather(
            *(_client(run, c, until) for c in run.clients),
            *(_agent(run, a, until) for a in run.agents),
        )
        traffic_end = time.time()
        ticker.cancel()
        say(
            f"traffic done: {len(observer.client_messages.sent)} client messages, "
            f"{len(observer.answers.sent)} answers sent; draining (limits stay on) ..."
        )
        drain_seconds, drained = await _drain(run)
    finally:
        ticker.cancel()
        stop.set()
        await supervisor
    injected = dict(tg.chaos_counts)
    tg.chaos = None
    observer.scan()
    calls = tg.calls[first_call:]
    measured = run.bot.usage().cpu_seconds - usage_before
    exit_code = await run.bot.stop()
    usage = run.bot.usage()
    return _report(
        run,
        limits=limits,
        calls=calls,
        window=(traffic_start, traffic_end),
        drain=(drain_seconds, drained),
        cpu=(usage.cpu_seconds, measured, usage.peak_rss_kb),
        bench_cpu=_own_cpu() - bench_before,
        exit_code=exit_code,
        injected={k: v - injected_before.get(k, 0) for k, v in injected.items() if v},
    )


async def _tick(run: Run, start: float, until: float) -> None:
    while await _sleep_until(until, 10.0):
        messages, answers, oldest = run.observer.backlog()
        sent = len(run.observer.client_messages.sent)
        run.progress(
            f"traffic {time.time() - start:4.0f}s: {sent} client messages sent, backlog "
            f"{messages} (+{answers} answers), oldest waiting {oldest:.0f}s"
        )


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _report(
    run: Run,
    *,
    limits: RateLimits,
    calls: list[Any],
    window: tuple[float, float],
    drain: tuple[float, bool],
    cpu: tuple[float, float, int],
    bench_cpu: float,
    exit_code: int,
    injected: dict[str, int],
) -> DeliveryReport:
    config, observer = run.config, run.observer
    track = observer.client_messages
    start, end = window
    firsts = {tag: s for tag in track.sent if (s := track.first(tag)) is not None}
    delays = sorted(s.at - track.sent[tag].at for tag, s in firsts.items())
    last = max((s.at for s in firsts.values()), default=end)
    desks = [
        _desk_figures(
            desk,
            [s for s in firsts.values() if s.chat_id == desk],
            observer,
            limits,
            start,
            end,
            last,
        )
        for desk in run.desks
    ]
    sends = [c for c in calls if c.method != "getUpdates"]
    too_many = [c for c in sends if c.status == 429]
    posting = sum(1 for c in sends if c.method in POSTING_METHODS)
    flood = sum(1 for c in too_many if c.fault is None)  # the limits, not chaos
    failed = sum(1 for c in sends if not c.ok)
    blocked = {c.params.get("chat_id") for c in sends if c.status == 403}
    lost_answers = [s for t, s in observer.answers.sent.items() if t not in observer.answers.seen]
    client_ids = {c.index: c.user_id for c in run.clients}
    violations = observer.order_violations()
    log = run.bot.log()
    answers = observer.answers
    return DeliveryReport(
        settings=_settings(config, run.database_url),
        accepted=len(track.sent),
        delivered=track.delivered,
        lost=len(track.sent) - track.delivered,
        duplicated=track.duplicated,
        misrouted=observer.misrouted,
        lost_examples=_lost_examples(run, calls, start),
        tickets=len(run.clients),
        tickets_order_kept=len(run.clients) - len(violations),
        order_violations=sum(violations.values()),
        group_limit_per_minute=limits.group_per_minute,
        desks=desks,
        delay_p50=percentile(delays, 50),
        delay_p95=percentile(delays, 95),
        delay_p99=percentile(delays, 99),
        delay_max=delays[-1] if delays else 0.0,
        api_calls=len(sends),
        api_calls_429=len(too_many),
        api_429_percent=100.0 * len(too_many) / len(sends) if sends else 0.0,
        api_posting_calls=posting,
        api_429_percent_of_posting=100.0 * len(too_many) / posting if posting else 0.0,
        api_429_from_limits=flood,
        api_other_errors=failed - len(too_many),
        faults_injected=injected,
        api_polls=len(calls) - len(sends),
        calls_by_method=dict(Counter(c.method for c in sends).most_common()),
        answers_sent=len(answers.sent),
        answers_delivered=answers.delivered,
        answers_lost=len(answers.sent) - answers.delivered,
        answers_duplicated=answers.duplicated,
        answers_lost_to_blocked=sum(1 for a in lost_answers if client_ids[a.target] in blocked),
        bot_cpu_seconds=round(cpu[0], 2),
        bot_cpu_seconds_measured=round(cpu[1], 2),
        bot_peak_rss_mb=round(cpu[2] / 1024, 1),
        bot_starts=run.bot.started,
        bot_kills=run.bot.kills,
        bot_unexpected_exits=run.unexpected_exits,
        bot_exit_code=exit_code,
        bench_cpu_seconds=round(bench_cpu, 2),
        traffic_seconds=round(end - start, 1),
        drain_seconds=round(drain[0], 1),
        drained=drain[1],
        bot_log=str(run.bot.log_path),
        bot_log_errors=len(re.findall(r" ERROR ", log)),
        bot_log_warnings=len(re.findall(r" WARNING ", log)),
        bot_log_tracebacks=log.count("Traceback"),
    )


def _lost_examples(run: Run, calls: list[Any], start: float) -> list[dict[str, Any]]:
    """The first lost client messages, each with every Bot API call whose text named it:
    did the bot never try, or did it believe a call carried it?"""
    track = run.observer.client_messages
    examples = []
    for sent in sorted(track.outstanding(), key=lambda s: s.at)[:LOST_EXAMPLES]:
        tag = client_tag(sent.sender, sent.seq)
        client = run.clients[sent.target]
        named = [
            {
                "method": c.method,
                "status": c.status,
                "outcome": c.outcome,
                "text": str(c.params.get("text") or c.params.get("caption") or "")[:300],
            }
            for c in calls
            if tag in str(c.params.get("text") or c.params.get("caption") or "")
        ]
        examples.append(
            {
                "tag": tag,
                "ticket": client.ticket,
                "sent_after_traffic_start_s": round(sent.at - start, 2),
                "calls_naming_it": named,
            }
        )
    return examples


def _desk_figures(
    desk: int,
    firsts: list[Any],
    observer: Observer,
    limits: RateLimits,
    start: float,
    end: float,
    last: float,
) -> DeskFigures:
    in_traffic = sum(1 for s in firsts if start <= s.at <= end)
    traffic_minutes = max(end - start, 1e-9) / 60
    overall_minutes = max(last - start, end - start, 1e-9) / 60
    posts = [t for t in observer.desk_posts.get(desk, []) if t >= start]
    limit = limits.group_per_minute
    return DeskFigures(
        chat_id=desk,
        client_messages_in_traffic=in_traffic,
        per_minute_in_traffic=round(in_traffic / traffic_minutes, 1),
        ratio_in_traffic=round(in_traffic / traffic_minutes / limit, 2),
        client_messages=len(firsts),
        per_minute_overall=round(len(firsts) / overall_minutes, 1),
        ratio_overall=round(len(firsts) / overall_minutes / limit, 2),
        bot_messages=len(posts),
        bot_messages_per_minute=round(len(posts) / overall_minutes, 1),
    )


def _settings(config: DeliveryConfig, database_url: str) -> dict[str, Any]:
    values = asdict(config)
    values["database"] = _describe_database(database_url)
    values.pop("database_url", None)
    values["bot_log"] = str(config.bot_log) if config.bot_log else None
    return values


# -- capacity --------------------------------------------------------------------------------


async def run_capacity(config: DeliveryConfig, progress: Progress | None = None) -> CapacityReport:
    """``veil bench delivery --capacity``: on SQLite, and on ``database_url`` if given."""
    say = progress or (lambda _: None)
    if config.seed is None:
        config.seed = random.randrange(1_000_000)
    workdir = Path(tempfile.mkdtemp(prefix="veil-bench-"))
    targets = [_default_database(workdir)]
    if config.database_url:
        targets.append(config.database_url)
    runs = []
    for n, url in enumerate(targets):
        say(f"capacity on {_describe_database(url)} (limits off, no faults)")
        place = workdir / str(n)
        place.mkdir()
        log = config.bot_log
        if log is not None:  # one log per database
            log = log.with_name(f"{log.stem}-{_describe_database(url)}{log.suffix}")
        async with _world(replace(config, bot_log=log), url, place, say) as run:
            runs.append(await _capacity(run))
    settings = _settings(config, targets[-1])
    settings["databases"] = [_describe_database(u) for u in targets]
    return CapacityReport(settings, runs)


async def _capacity(run: Run) -> CapacityRun:
    config, tg, observer = run.config, run.tg, run.observer
    tg.limits = None
    track = observer.client_messages
    bench_before = _own_cpu()
    cpu_before = run.bot.usage().cpu_seconds
    turn = _round_robin(run.clients)

    # 1. Blast: keep `blast_backlog` messages waiting for the bot the whole time.
    start = time.time()
    until = start + config.duration
    run.progress(
        f"blast for {config.duration:.0f}s, {config.blast_backlog} messages kept queued ..."
    )
    while time.time() < until:
        waiting = len(track.sent) - track.delivered
        for _ in range(min(100, config.blast_backlog - waiting)):
            _client_text(run, next(turn), lambda tag: tag + " hello")
        await tg.world.changed(0.05)
        observer.scan()
    blast_tags = set(track.sent)
    in_blast = sum(1 for tag in blast_tags if (s := track.first(tag)) and s.at <= until)
    await _wait_delivered(run, 120.0)

    # 2. A fixed offered load: the latency the bot adds when it is not saturated.
    run.progress(f"fixed load of {config.rate:.0f} messages/s for {config.duration:.0f}s ...")
    start_rate = time.time()
    sent = 0
    while (now := time.time()) < start_rate + config.duration:
        due = int((now - start_rate) * config.rate) + 1 - sent
        for _ in range(due):
            _client_text(run, next(turn), lambda tag: tag + " hello")
        sent += max(0, due)
        await asyncio.sleep(max(0.0, start_rate + sent / config.rate - time.time()))
    await _wait_delivered(run, 120.0)
    observer.scan()
    rate_tags = [t for t in track.sent if t not in blast_tags]
    latencies = sorted(
        (s.at - track.sent[t].at) * 1000 for t in rate_tags if (s := track.first(t)) is not None
    )
    usage = run.bot.usage()
    log = run.bot.log()
    return CapacityRun(
        database=_describe_database(run.database_url),
        clients=len(run.clients),
        blast_seconds=round(config.duration, 1),
        blast_sent=len(blast_tags),
        blast_delivered=in_blast,
        blast_desk_messages=sum(
            1 for d in run.desks for t in observer.desk_posts[d] if start <= t <= until
        ),
        relayed_per_second=round(in_blast / config.duration, 1),
        rate=config.rate,
        rate_seconds=round(config.duration, 1),
        rate_sent=len(rate_tags),
        rate_delivered=len(latencies),
        latency_p50_ms=round(percentile(latencies, 50), 1),
        latency_p99_ms=round(percentile(latencies, 99), 1),
        latency_max_ms=round(latencies[-1], 1) if latencies else 0.0,
        lost=len(track.sent) - track.delivered,
        duplicated=track.duplicated,
        bot_cpu_seconds=round(usage.cpu_seconds - cpu_before, 2),
        bot_peak_rss_mb=round(usage.peak_rss_kb / 1024, 1),
        bench_cpu_seconds=round(_own_cpu() - bench_before, 2),
        bot_log=str(run.bot.log_path),
        bot_log_errors=len(re.findall(r" ERROR ", log)),
    )


def _round_robin(clients: list[Client]) -> Any:
    while True:
        yield from clients


async def _wait_delivered(run: Run, within: float) -> None:
    deadline = time.time() + within
    track = run.observer.client_messages
    while track.delivered < len(track.sent) and time.time() < deadline:
        await run.tg.world.changed(0.5)
        run.observer.scan()


# -- printing ----------------------------------------------------------------------------------


def print_delivery(report: DeliveryReport, console: Console) -> None:
    r = report
    s = r.settings
    table = Table("figure", "value", title="veil bench delivery")
    table.add_row(
        "run",
        f"{s['clients']} clients, {s['agents']} agents, {s['desks']} desk(s), "
        f"{r.traffic_seconds:.0f}s traffic, {s['database']}, limits "
        f"{'on' if s['limits'] else 'off'}, chaos {s['chaos']:.1%}, "
        f"kill every {s['kill_every'] or '-'}s, seed {s['seed']}",
    )
    table.add_row("client messages accepted (sent by clients)", str(r.accepted))
    table.add_row("delivered to the desk", str(r.delivered))
    drained = "drained" if r.drained else "drain timed out"
    table.add_row(
        "lost (undelivered after the drain)", f"{r.lost}  ({drained} after {r.drain_seconds:.0f}s)"
    )
    for example in r.lost_examples:
        calls = example["calls_naming_it"]
        seen = "; ".join(f"{c['method']} {c['outcome']}" for c in calls) or "none"
        table.add_row(
            f"  lost {example['tag']} ({example['ticket']})",
            f"sent at +{example['sent_after_traffic_start_s']:.1f}s; calls naming it: {seen}",
        )
    table.add_row("duplicated", str(r.duplicated))
    table.add_row("delivered into the wrong topic", str(r.misrouted))
    table.add_row(
        "per-ticket order kept",
        f"{r.tickets_order_kept}/{r.tickets} tickets ({r.order_violations} messages out of order)",
    )
    for d in r.desks:
        table.add_row(
            f"desk {d.chat_id}: client messages/min during traffic",
            f"{d.per_minute_in_traffic:.1f} = {d.ratio_in_traffic:.2f}x "
            f"the {r.group_limit_per_minute}/min limit",
        )
        table.add_row(
            f"desk {d.chat_id}: client messages/min, traffic start to last delivery",
            f"{d.per_minute_overall:.1f} = {d.ratio_overall:.2f}x "
            f"({d.client_messages} in {d.bot_messages} desk messages, "
            f"{d.bot_messages_per_minute:.1f}/min)",
        )
    table.add_row(
        "delay client send -> desk p50 / p95 / p99 / max",
        f"{r.delay_p50:.2f} / {r.delay_p95:.2f} / {r.delay_p99:.2f} / {r.delay_max:.2f} s",
    )
    table.add_row(
        "Bot API calls (getUpdates aside) / answered 429",
        f"{r.api_calls} / {r.api_calls_429} ({r.api_429_percent:.2f}%; "
        f"{r.api_429_from_limits} from the limits); other errors {r.api_other_errors}",
    )
    table.add_row(
        "  of which posting messages / 429 share of those",
        f"{r.api_posting_calls} / {r.api_429_percent_of_posting:.2f}%",
    )
    if r.faults_injected:
        table.add_row(
            "faults injected (chaos)", ", ".join(f"{k} {v}" for k, v in r.faults_injected.items())
        )
    table.add_row(
        "agent answers delivered to clients",
        f"{r.answers_delivered}/{r.answers_sent} (lost {r.answers_lost}, of which "
        f"{r.answers_lost_to_blocked} to clients who blocked the bot; "
        f"duplicated {r.answers_duplicated})",
    )
    table.add_row(
        "bot CPU seconds (whole run / traffic+drain)",
        f"{r.bot_cpu_seconds:.1f} / {r.bot_cpu_seconds_measured:.1f}",
    )
    table.add_row("bot peak RSS", f"{r.bot_peak_rss_mb:.0f} MB")
    table.add_row(
        "bot processes",
        f"{r.bot_starts} started (the first for the set-up only), {r.bot_kills} killed, "
        f"{r.bot_unexpected_exits} died by themselves; last exit code {r.bot_exit_code}",
    )
    table.add_row(
        "bot log",
        f"{r.bot_log} ({r.bot_log_errors} errors, {r.bot_log_warnings} warnings, "
        f"{r.bot_log_tracebacks} tracebacks)",
    )
    table.add_row("bench process CPU seconds (faketg, clients)", f"{r.bench_cpu_seconds:.1f}")
    console.print(table)


def print_capacity(report: CapacityReport, console: Console) -> None:
    table = Table(title="veil bench delivery --capacity (limits off, no faults, one bot process)")
    table.add_column("figure")
    for run in report.runs:
        table.add_column(run.database)
    rows: list[tuple[str, Callable[[CapacityRun], str]]] = [
        ("clients (one ticket each)", lambda r: str(r.clients)),
        (
            "blast: messages sent / delivered during it (in desk messages)",
            lambda r: f"{r.blast_sent} / {r.blast_delivered} ({r.blast_desk_messages})",
        ),
        ("relayed messages per second per process", lambda r: f"{r.relayed_per_second:.0f}"),
        (
            "fixed load: messages/s offered, for",
            lambda r: f"{r.rate:.0f} for {r.rate_seconds:.0f}s",
        ),
        ("fixed load: sent / delivered", lambda r: f"{r.rate_sent} / {r.rate_delivered}"),
        (
            "added latency p50 / p99 / max",
            lambda r: (
                f"{r.latency_p50_ms:.1f} / {r.latency_p99_ms:.1f} / {r.latency_max_ms:.1f} ms"
            ),
        ),
        ("lost / duplicated", lambda r: f"{r.lost} / {r.duplicated}"),
        (
            "bot CPU seconds / peak RSS",
            lambda r: f"{r.bot_cpu_seconds:.1f} / {r.bot_peak_rss_mb:.0f} MB",
        ),
        ("bench process CPU seconds", lambda r: f"{r.bench_cpu_seconds:.1f}"),
        ("bot log (errors)", lambda r: f"{r.bot_log} ({r.bot_log_errors})"),
    ]
    for name, value in rows:
        table.add_row(name, *(value(r) for r in report.runs))
    console.print(table)


def as_json(report: DeliveryReport | CapacityReport) -> dict[str, Any]:
    data = asdict(report)
    data["ok"] = report.ok
    return data
