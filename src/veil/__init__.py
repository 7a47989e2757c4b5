"""Veil: anonymous live support for Telegram bots."""
