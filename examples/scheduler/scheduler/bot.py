"""Sunny Clinic's bot: /start, /book, /appointments, with Veil's Live Support embedded."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Sequence
from pathlib import Path

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from alembic import command
from alembic.config import Config
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import veil
from scheduler import booking
from scheduler.schema import services

MIGRATIONS = Path(__file__).parent / "migrations"


def scheduler_router(engine: AsyncEngine, support: veil.Veil) -> Router:
    router = Router(name="scheduler")
    router.message.filter(F.chat.type == "private")

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        assert message.from_user is not None
        user = message.from_user
        await booking.register(engine, user.id, user.full_name, user.language_code)
        await message.answer(
            "🌞 Welcome to Sunny Clinic! /book books an appointment, /appointments shows yours.",
            reply_markup=_keyboard([[support.support_button()]]),
        )

    @router.message(Command("book"))
    async def choose_service(message: Message) -> None:
        async with engine.connect() as connection:
            rows = (await connection.execute(select(services).order_by(services.c.id))).all()
        buttons = [[InlineKeyboardButton(text=r.name, callback_data=f"bk:{r.id}")] for r in rows]
        await message.answer(
            "Which service?", reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
        )

    @router.callback_query(F.data.regexp(r"^bk:\d+$"))
    async def choose_slot(query: CallbackQuery) -> None:
        service_id = int(str(query.data).split(":")[1])
        async with engine.connect() as connection:
            rows = await booking.free_slots(connection)
        buttons = [
            [
                InlineKeyboardButton(
                    text=f"{booking.when(r.starts_at)} · {r.provider}",
                    callback_data=f"bs:{service_id}:{r.id}",
                )
            ]
            for r in rows
        ]
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(
                "When?", reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
            )

    @router.callback_query(F.data.regexp(r"^bs:\d+:\d+$"))
    async def book(query: CallbackQuery) -> None:
        _, service_id, slot_id = str(query.data).split(":")
        made = await booking.book(engine, query.from_user.id, int(service_id), int(slot_id))
        await query.answer()
        if not isinstance(query.message, Message):
            return
        if made is None:
            await query.message.answer("Sorry, that slot is gone. Try /book again.")
            return
        await query.message.answer(
            f"✅ Booked: {made.service} with {made.provider} on {made.when}.",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[support.support_button(about=made.ref)]]
            ),
        )

    @router.message(Command("appointments"))
    async def appointments(message: Message) -> None:
        assert message.from_user is not None
        mine = await booking.appointments_of(engine, message.from_user.id)
        if not mine:
            await message.answer("You have no appointments. /book makes one.")
        for made in mine:
            await message.answer(
                f"📅 {made.service} with {made.provider} on {made.when} ({made.status})",
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[[support.support_button(about=made.ref)]]
                ),
            )

    @router.message()
    async def fallback(message: Message) -> None:
        await message.answer("I understand /book and /appointments.")

    return router


def _keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def migrate(connection: Connection) -> None:
    """The scheduler's own Alembic history (default alembic_version); Veil keeps its own."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def main(extra_routers: Sequence[Router] = ()) -> None:
    database_url = os.environ.get("SCHEDULER_DATABASE_URL", "sqlite+aiosqlite:///./scheduler.db")
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(migrate)
    api = TelegramAPIServer.from_base(
        os.environ.get("SCHEDULER_API_URL", "https://api.telegram.org")
    )
    bot = Bot(os.environ["SCHEDULER_BOT_TOKEN"], session=AiohttpSession(api=api))
    dispatcher = Dispatcher()

    # --- Veil: the glue ----------------------------------------------------------------
    settings = veil.load_settings(
        host_users_table="users", host_users_language_column="language"
    )  # the desk group and admins come from VEIL_DESK_CHAT_ID and VEIL_ADMIN_IDS
    support = veil.embed(
        bot, settings=settings, engine=engine, appointments=booking.Bookings(engine)
    )
    support.attach(dispatcher)  # first: Veil takes only support conversations
    # --------------------------------------------------------------------------------------

    dispatcher.include_routers(*extra_routers, scheduler_router(engine, support))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    # The clinic's own menu (for every chat); Veil adds its commands after these.
    await bot.set_my_commands(
        [
            BotCommand(command="book", description="Book an appointment"),
            BotCommand(command="appointments", description="Your appointments"),
        ]
    )
    await support.startup()
    try:
        # Veil's poller confirms updates only once they were handled (aiogram's does so before).
        await veil.Poller(bot, dispatcher).run(stop)
    finally:
        await support.shutdown()
        await bot.session.close()
        await engine.dispose()
