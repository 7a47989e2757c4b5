"""Use cases over ports. No Telegram, database or web framework is imported here."""
