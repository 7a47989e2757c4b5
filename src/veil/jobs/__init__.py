"""Periodic work, safe to run in several instances at once."""
