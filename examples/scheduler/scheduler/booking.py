"""Bookings, and Veil's `Appointments` port over them: what a ticket is about, and the
changes support may make (with the client's yes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from scheduler.schema import bookings, providers, services, slots, users
from veil import Appointment, Outcome, Slot

SLOTS_SHOWN = 6


def when(starts_at: datetime) -> str:
    return starts_at.astimezone(UTC).strftime("%a %d %b %H:%M UTC")


def ref_of(booking_id: int) -> str:
    return f"b{booking_id}"


def booking_id_of(ref: str) -> int | None:
    digits = ref.removeprefix("b")
    return int(digits) if ref.startswith("b") and digits.isascii() and digits.isdigit() else None


def _booking_query(telegram_id: int) -> Select[Any]:
    return (
        select(
            bookings.c.id,
            bookings.c.status,
            bookings.c.slot_id,
            services.c.name.label("service"),
            providers.c.name.label("provider"),
            slots.c.starts_at,
        )
        .join(users, users.c.id == bookings.c.user_id)
        .join(services, services.c.id == bookings.c.service_id)
        .join(slots, slots.c.id == bookings.c.slot_id)
        .join(providers, providers.c.id == slots.c.provider_id)
        .where(users.c.telegram_id == telegram_id)
    )


def _appointment(row: Row[Any]) -> Appointment:
    starts_at = row.starts_at if row.starts_at.tzinfo else row.starts_at.replace(tzinfo=UTC)
    return Appointment(
        ref=ref_of(row.id),
        service=row.service,
        when=when(starts_at),
        provider=row.provider,
        status=row.status,
        starts_at=starts_at,
    )


async def _user_id(connection: AsyncConnection, telegram_id: int) -> int | None:
    found = await connection.scalar(select(users.c.id).where(users.c.telegram_id == telegram_id))
    return int(found) if found is not None else None


async def register(engine: AsyncEngine, telegram_id: int, name: str, language: str | None) -> None:
    async with engine.begin() as connection:
        if await _user_id(connection, telegram_id) is None:
            await connection.execute(
                insert(users).values(telegram_id=telegram_id, name=name[:64], language=language)
            )


async def free_slots(connection: AsyncConnection, limit: int = SLOTS_SHOWN) -> Sequence[Any]:
    taken = select(bookings.c.slot_id).where(bookings.c.status == "booked")
    query = (
        select(slots.c.id, slots.c.starts_at, providers.c.name.label("provider"))
        .join(providers, providers.c.id == slots.c.provider_id)
        .where(slots.c.id.not_in(taken), slots.c.starts_at > func.now())
        .order_by(slots.c.starts_at, slots.c.id)
        .limit(limit)
    )
    return (await connection.execute(query)).all()


async def _is_free(connection: AsyncConnection, slot_id: int) -> bool:
    return slot_id in {r.id for r in await free_slots(connection, 1000)}


async def book(
    engine: AsyncEngine, telegram_id: int, service_id: int, slot_id: int
) -> Appointment | None:
    async with engine.begin() as connection:
        user_id = await _user_id(connection, telegram_id)
        if user_id is None or not await _is_free(connection, slot_id):
            return None
        made = insert(bookings).values(user_id=user_id, service_id=service_id, slot_id=slot_id)
        booking_id = (await connection.execute(made.returning(bookings.c.id))).scalar_one()
        query = _booking_query(telegram_id).where(bookings.c.id == booking_id)
        return _appointment((await connection.execute(query)).one())


async def appointments_of(engine: AsyncEngine, telegram_id: int) -> list[Appointment]:
    async with engine.connect() as connection:
        rows = await connection.execute(_booking_query(telegram_id).order_by(slots.c.starts_at))
        return [_appointment(row) for row in rows]


class Bookings:
    """The scheduler's side of `veil.Appointments`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def describe(self, client_telegram_id: int, ref: str) -> Appointment | None:
        booking_id = booking_id_of(ref)
        if booking_id is None:
            return None
        async with self._engine.connect() as connection:
            query = _booking_query(client_telegram_id).where(bookings.c.id == booking_id)
            row = (await connection.execute(query)).first()
        return _appointment(row) if row is not None else None

    async def slots(self, client_telegram_id: int, ref: str) -> Sequence[Slot]:
        async with self._engine.connect() as connection:
            rows = await free_slots(connection)
        return [Slot(f"s{r.id}", f"{when(r.starts_at)} · {r.provider}") for r in rows]

    async def reschedule(self, client_telegram_id: int, ref: str, slot_ref: str) -> Outcome:
        booking_id, slot_id = booking_id_of(ref), int(slot_ref.removeprefix("s"))
        async with self._engine.begin() as connection:
            query = _booking_query(client_telegram_id).where(bookings.c.id == booking_id)
            row = (await connection.execute(query)).first()
            if row is None or row.status != "booked":
                return Outcome(False, "that booking is no longer active")
            if row.slot_id != slot_id:  # asked again after it was done: nothing more to do
                if not await _is_free(connection, slot_id):
                    return Outcome(False, "that slot was just taken")
                await connection.execute(
                    update(bookings).where(bookings.c.id == booking_id).values(slot_id=slot_id)
                )
            moved = _appointment((await connection.execute(query)).one())
        return Outcome(
            True, f"your {moved.service} is now on {moved.when} with {moved.provider}", moved
        )

    async def cancel(self, client_telegram_id: int, ref: str) -> Outcome:
        booking_id = booking_id_of(ref)
        async with self._engine.begin() as connection:
            query = _booking_query(client_telegram_id).where(bookings.c.id == booking_id)
            row = (await connection.execute(query)).first()
            if row is None:
                return Outcome(False, "that booking does not exist")
            await connection.execute(
                update(bookings).where(bookings.c.id == booking_id).values(status="cancelled")
            )
            cancelled = _appointment((await connection.execute(query)).one())
        return Outcome(
            True, f"your {cancelled.service} on {cancelled.when} is cancelled", cancelled
        )
