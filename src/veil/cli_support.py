"""What every ``veil`` subcommand shares: reading the settings, running a coroutine, and
saying what went wrong in one readable line instead of a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import typer
from rich.console import Console

from veil.config import ConfigError, Settings, load_settings

err = Console(stderr=True, soft_wrap=True)  # messages stay whole, greppable lines


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


def run_or_exit(coro: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(coro)
    except ConfigError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from None
