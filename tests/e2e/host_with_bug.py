"""The example scheduler with one more host handler, which fails: an exception in the
host's own code must make no message of Veil's."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from scheduler.bot import main


def failing_router() -> Router:
    router = Router(name="host-bug")

    @router.message(Command("crash"))
    async def crash(message: Message) -> None:
        raise RuntimeError("a bug in the host's own handler")

    return router


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(main([failing_router()]))
