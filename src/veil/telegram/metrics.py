"""Delivery figures: counters kept by the sender, gauges read from the outbox.

They are exposed as Prometheus metrics (``/metrics`` on ``VEIL_METRICS_PORT``) and as a
plain snapshot for the dashboard. Chat labels are internal keys (``user:<row id>``,
``chat:<desk group>``), never a client's Telegram id.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from veil.services.ports import ChatBacklog, Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Per-chat series beyond this many would swamp Prometheus on a busy desk; the longest
# waiting chats are the ones worth seeing.
BACKLOG_CHATS = 20


@dataclass(frozen=True)
class Snapshot:
    delivered: int
    bundled: int
    too_many_requests: int
    retries: int
    failed: int
    backlog: int
    oldest_seconds: float
    chats: list[ChatBacklog]


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.delivered = Counter(
            "veil_messages_delivered",
            "Deliveries done (each message of a bundle counts)",
            registry=r,
        )
        self.bundled = Counter(
            "veil_messages_bundled", "Client texts that went out inside a bundle", registry=r
        )
        self.too_many = Counter(
            "veil_telegram_too_many_requests", "Calls Telegram answered with 429", registry=r
        )
        self.retries = Counter(
            "veil_delivery_retries", "Deliveries put off after an error", ["reason"], registry=r
        )
        self.failed = Counter(
            "veil_deliveries_failed", "Deliveries given up (blocked, malformed)", registry=r
        )
        self.repaired = Counter(
            "veil_messages_repaired",
            "Messages Telegram refused as sent and that went in a repaired form",
            registry=r,
        )
        self.undeliverable = Counter(
            "veil_messages_undeliverable",
            "Messages Telegram refused for good, shown as a notice where they belonged",
            registry=r,
        )
        self.backlog = Gauge(
            "veil_outbox_backlog", "Deliveries waiting, in all and per chat", ["chat"], registry=r
        )
        self.oldest = Gauge(
            "veil_outbox_oldest_seconds", "Age of the oldest undelivered message", registry=r
        )
        self.limits_degraded = Gauge(
            "veil_limits_degraded",
            "1 while Redis is configured but not answering, and limits are counted in the database",
            registry=r,
        )
        self._chats: list[ChatBacklog] = []
        self._labels: set[str] = set()
        self._oldest_seconds = 0.0

    def observe_backlog(self, chats: list[ChatBacklog], total: int, now: datetime) -> None:
        self._chats = chats
        for label in self._labels - {c.chat for c in chats}:
            self.backlog.remove(label)
        self._labels = {c.chat for c in chats}
        for chat in chats:
            self.backlog.labels(chat.chat).set(chat.pending)
        self.backlog.labels("all").set(total)
        oldest = min((c.oldest for c in chats), default=None)
        self._oldest_seconds = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        self.oldest.set(self._oldest_seconds)

    def snapshot(self) -> Snapshot:
        def value(counter: Counter) -> int:
            samples = (s for m in counter.collect() for s in m.samples)
            return int(sum(s.value for s in samples if s.name.endswith("_total")))

        return Snapshot(
            delivered=value(self.delivered),
            bundled=value(self.bundled),
            too_many_requests=value(self.too_many),
            retries=value(self.retries),
            failed=value(self.failed),
            backlog=int(sum(c.pending for c in self._chats)),
            oldest_seconds=self._oldest_seconds,
            chats=list(self._chats),
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


async def watch_backlog(
    metrics: DeliveryMetrics, units: UnitOfWorkFactory, clock: Clock, interval: float
) -> None:
    """Refresh the backlog gauges from the outbox every ``interval`` seconds."""
    while True:
        try:
            async with units() as uow:
                chats = list(await uow.outbox.backlog_by_chat(BACKLOG_CHATS))
                total = await uow.outbox.backlog()
            metrics.observe_backlog(chats, total, clock())
        except Exception:
            log.exception("could not read the outbox backlog")
        await asyncio.sleep(interval)


async def serve(metrics: DeliveryMetrics, host: str, port: int) -> web.AppRunner:
    """Expose ``/metrics`` for Prometheus; returns the runner to clean up."""

    async def exposition(_request: web.Request) -> web.Response:
        headers = {"Content-Type": CONTENT_TYPE_LATEST}
        return web.Response(body=metrics.exposition(), headers=headers)

    app = web.Application()
    app.router.add_get("/metrics", exposition)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("metrics on http://%s:%s/metrics", host, port)
    return runner
