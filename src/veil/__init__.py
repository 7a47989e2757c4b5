"""Veil: anonymous live support for Telegram bots.

As a bot of its own, run ``veil run``. Inside an existing aiogram 3 bot (the host)::

    import veil

    support = veil.embed(bot, engine=engine)  # settings from VEIL_* / .env
    support.attach(dispatcher)                # before the host's own routers
    dispatcher.startup.register(support.startup)
    dispatcher.shutdown.register(support.shutdown)

The host's updates fall through Veil untouched; Veil takes support conversations, the
desk group and its staff's commands. ``support.support_button()`` and
``support.support_link()`` open a conversation; ``await support.open_ticket(user_id)`` does
it from the host's own code. See docs/embedding.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiogram import Bot
    from sqlalchemy.ext.asyncio import AsyncEngine

    from veil.bootstrap import Veil
    from veil.config import ConfigError, Settings, load_settings
    from veil.domain.appointments import Appointment, Outcome, Slot
    from veil.services.ports import Appointments
    from veil.telegram.polling import Poller
    from veil.telegram.webhook import WebhookHandler

# Imported on first use: aiogram takes seconds to import, and `veil db upgrade` or
# `veil --help` need none of it.
_LAZY = {
    "Appointment": "veil.domain.appointments",
    "Appointments": "veil.services.ports",
    "Outcome": "veil.domain.appointments",
    "Slot": "veil.domain.appointments",
    "ConfigError": "veil.config",
    "Settings": "veil.config",
    "load_settings": "veil.config",
    "Veil": "veil.bootstrap",
    "Poller": "veil.telegram.polling",
    "WebhookHandler": "veil.telegram.webhook",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'veil' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "Appointment",
    "Appointments",
    "ConfigError",
    "Outcome",
    "Poller",
    "Settings",
    "Slot",
    "Veil",
    "WebhookHandler",
    "embed",
    "load_settings",
    "standalone",
]


def embed(
    bot: Bot,
    *,
    settings: Settings | None = None,
    engine: AsyncEngine | None = None,
    appointments: Appointments | None = None,
    engine_options: Mapping[str, Any] | None = None,
) -> Veil:
    """Veil inside a host bot: it shares the host's ``bot`` (and its database, when the
    host passes its ``engine``; else ``VEIL_DATABASE_URL``). Veil opens a pool of its own
    on that database: ``engine_options`` (``connect_args``...) are what the URL cannot
    say. ``appointments`` is the host's implementation of ``veil.Appointments``: tickets
    then say what they are about."""
    from veil.bootstrap import build
    from veil.config import load_settings

    return build(
        settings or load_settings(),
        bot=bot,
        engine=engine,
        appointments=appointments,
        engine_options=engine_options,
    )


def standalone(settings: Settings | None = None) -> Veil:
    """Veil as a bot of its own, as ``veil run`` starts it."""
    from veil.bootstrap import build
    from veil.config import load_settings

    return build(settings or load_settings())
