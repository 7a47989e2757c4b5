"""One instance of the autopilot, as a process of its own: ``python -m
tests.integration.autopilot_worker <database url> <now, ISO> <passes>``.

The clock stands at ``now`` (tests travel in time); the passes run back to back, as
the bot's job would run them, racing whatever other instance runs at the same time.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from tests.conftest import TEST_KEYRING
from veil.i18n import default_catalog
from veil.jobs import autopilot
from veil.services.context import Context
from veil.store import db
from veil.store.uow import SqlStore
from veil.system import random_suffix

DESK = -1001000000001


async def main(url: str, now: datetime, passes: int) -> None:
    store = SqlStore(db.make_engine(url, keyring=TEST_KEYRING), lambda: now)
    ctx = Context(lambda: now, default_catalog(), random_suffix, DESK)
    try:
        for _ in range(passes):
            await autopilot.run_once(store, ctx)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], datetime.fromisoformat(sys.argv[2]), int(sys.argv[3])))
