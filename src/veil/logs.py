"""Logging set-up: one line per event, with the ``extra`` fields appended as key=value.

Values come from outside (button payloads, Telegram's error texts, names of things
typed by people): every one is escaped and bounded, so that nothing can break a line
in two, forge a line of its own, or flip the text's direction. Only a traceback, which
Veil writes itself, spans several lines.
"""

from __future__ import annotations

import logging
import unicodedata

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
MESSAGE_LIMIT = 2000
VALUE_LIMIT = 200


def printable(value: object, limit: int = VALUE_LIMIT) -> str:
    """``value`` as one safe line: control and format characters (newlines, bidi
    overrides, zero-width) escaped, at most ``limit`` characters."""
    text = str(value)
    out: list[str] = []
    for char in text[: limit + 1]:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    line = "".join(out)
    return line[:limit] + "…" if len(text) > limit or len(line) > limit else line


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.message = printable(record.getMessage(), MESSAGE_LIMIT)
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        if extras:
            line += " " + " ".join(f"{k}={printable(v)}" for k, v in sorted(extras.items()))
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiogram logs every handled update at INFO; that is noise next to our own lines.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
