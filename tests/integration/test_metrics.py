"""Delivery figures as Prometheus reads them: backlog per chat, oldest age, counters."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from veil.services.deliveries import SendText, UserChat
from veil.store.uow import SqlStore
from veil.telegram.metrics import DeliveryMetrics, serve, watch_backlog


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_metrics_show_the_backlog_per_chat_and_the_counters(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    async with store() as uow:
        for n in range(3):
            uow.outbox.add(SendText(UserChat(1), f"a{n}"))
        uow.outbox.add(SendText(UserChat(2), "b"))
        await uow.commit()
    clock.advance(seconds=90)
    metrics = DeliveryMetrics()
    metrics.delivered.inc(5)
    metrics.too_many.inc()
    metrics.retries.labels("transient").inc(2)
    watching = asyncio.create_task(watch_backlog(metrics, store, clock, interval=0.05))
    port = _free_port()
    runner = await serve(metrics, "127.0.0.1", port)
    try:
        for _ in range(100):
            if metrics.snapshot().backlog == 4:
                break
            await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{port}/metrics"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 200
            body = await response.text()
    finally:
        watching.cancel()
        await runner.cleanup()
    assert 'veil_outbox_backlog{chat="user:1"} 3.0' in body
    assert 'veil_outbox_backlog{chat="all"} 4.0' in body
    assert "veil_outbox_oldest_seconds 90.0" in body
    assert "veil_messages_delivered_total 5.0" in body
    assert "veil_telegram_too_many_requests_total 1.0" in body
    assert 'veil_delivery_retries_total{reason="transient"} 2.0' in body
    snapshot = metrics.snapshot()
    assert (snapshot.delivered, snapshot.too_many_requests, snapshot.retries) == (5, 1, 2)
    assert [(c.chat, c.pending) for c in snapshot.chats] == [("user:1", 3), ("user:2", 1)]
