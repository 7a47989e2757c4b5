"""Who is writing: clients appear on first contact; agents are named by admins."""

from __future__ import annotations

from typing import Protocol

from veil.domain.model import Role, User, language_tag
from veil.services.context import Context, Sender
from veil.services.ports import UnitOfWork


async def ensure_user(uow: UnitOfWork, ctx: Context, sender: Sender) -> User:
    """The host's user for this Telegram id, created as a client on first contact."""
    now = ctx.clock()
    user = await uow.users.by_telegram_id(sender.telegram_id)
    if user is None:
        role = Role.ADMIN if sender.telegram_id in ctx.admin_ids else Role.CLIENT
        user = User(
            telegram_id=sender.telegram_id,
            role=role,
            language=language_tag(sender.language),
            created_at=now,
            updated_at=now,
        )
        await uow.users.add(user)
    else:
        user.touch_language(sender.language, now)
    return user


async def set_role(
    uow: UnitOfWork, ctx: Context, telegram_id: int, role: Role, *, keep_admin: bool = False
) -> User:
    """Give a Telegram user a role in Veil's own records (creating the user if the bot has
    not met them yet); an admin stays one with ``keep_admin``. A host's records are never
    written: they are read, beside this one."""
    user = await ensure_user(uow, ctx, Sender(telegram_id))
    if keep_admin and user.role is Role.ADMIN:
        return user
    if user.role is not role:
        user.role = role
        user.updated_at = ctx.clock()
    return user


class Stored(Protocol):
    id: int | None


def id_of(entity: Stored) -> int:
    """The id of a stored entity; repositories assign ids on add, so None is a bug."""
    if entity.id is None:
        raise RuntimeError(f"{type(entity).__name__} has no id: was it added to the store?")
    return entity.id
