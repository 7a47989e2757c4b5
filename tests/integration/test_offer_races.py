"""Offers under concurrency on PostgreSQL, where units of work run side by side (SQLite
takes its write lock up front, so they cannot interleave there)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import TEST_KEYRING, FakeClock, fresh_database
from veil.domain.appointments import Appointment, Offer, OfferKind, OfferStatus
from veil.i18n import default_catalog
from veil.services import appointments, client
from veil.services.context import Context, Sender
from veil.services.deliveries import CarryOut
from veil.store import db
from veil.store.uow import SqlStore

pytestmark = pytest.mark.postgres
ALICE = Sender(5_000_000_001, "en")


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database("postgresql", tmp_path) as url:
        yield url


@pytest.fixture
async def store(pg_url: str, clock: FakeClock) -> AsyncIterator[SqlStore]:
    store = SqlStore(db.make_engine(pg_url, keyring=TEST_KEYRING), clock)
    await db.upgrade(store.engine)
    yield store
    await store.close()


async def test_an_offer_withdrawn_meanwhile_cannot_be_accepted(
    store: SqlStore, clock: FakeClock
) -> None:
    counter = itertools.count()
    ctx = Context(clock, default_catalog(), lambda: f"R{next(counter):05d}", -1001)
    about = Appointment(
        "b1", "Haircut", "Wed 10:00", "Dr Lee", "booked", clock() + timedelta(days=3)
    )
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, ALICE, about)
        offer = Offer(ticket.id or 0, OfferKind.CANCEL, clock(), "b1", status=OfferStatus.PROPOSED)
        await uow.offers.add(offer)
        await uow.commit()
    offer_id = offer.id or 0
    async with store() as deciding:
        # The client's press read the offer while it was still put to them ...
        assert (await deciding.offers.get(offer_id)).status is OfferStatus.PROPOSED  # type: ignore[union-attr]
        # ... when the agent's next offer withdrew it, and committed.
        async with store() as agent:
            stale = await agent.offers.get(offer_id)
            assert stale is not None
            stale.withdraw()
            await agent.commit()
        notice = await appointments.decide(deciding, ctx, ALICE, offer_id, accept=True)
        sent = list(deciding.outbox.added)
        await deciding.commit()
    assert notice is not None and "no longer open" in notice
    assert CarryOut(offer_id) not in sent
    async with store() as uow:
        assert (await uow.offers.get(offer_id)).status is OfferStatus.WITHDRAWN  # type: ignore[union-attr]
