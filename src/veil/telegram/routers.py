"""Veil's own router: everything Veil answers, under one middleware that is Veil's alone."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Router

from veil.services.context import Context
from veil.services.ports import UnitOfWorkFactory
from veil.telegram import buttons, client, desk, team
from veil.telegram.guard import GuardMiddleware
from veil.telegram.middlewares import UnitOfWorkMiddleware
from veil.telegram.scope import Scope
from veil.telegram.throttle import ActionThrottle


def build_router(
    scope: Scope,
    units: UnitOfWorkFactory,
    context: Callable[[], Context],
    key_of: Callable[[int], str],
) -> Router:
    """Veil's surfaces (buttons, agents' and clients' private chats, the desk groups) in
    one router for a Dispatcher to include; a host's updates fall through it untouched."""
    root = Router(name="veil")
    # Inner: it wraps only the handlers of Veil's that matched (aiogram applies a parent
    # router's inner middlewares to its children's handlers).
    middleware = UnitOfWorkMiddleware(units, context)
    throttle = ActionThrottle(units, context, key_of)  # first: outside the unit of work
    for observer in (root.message, root.edited_message, root.callback_query):
        observer.middleware(throttle)
    guard = GuardMiddleware()  # inside the unit of work: refusals are audited with it
    for observer in (root.message, root.edited_message, root.callback_query):
        observer.middleware(middleware)
        observer.middleware(guard)
    root.include_routers(
        buttons.build_router(scope),
        team.build_router(scope),
        client.build_router(scope),
        desk.build_router(scope),
    )
    return root
