"""Several short texts of one client in one desk message, when the desk's budget is short.

A desk group takes about 20 messages a minute from the bot; a client typing in bursts
can outrun that alone. Consecutive texts of a ticket that are waiting anyway go out as
one message, in order, each boundary marked, so the desk reads them as it would have.
Telegram measures text and entity offsets in UTF-16 code units, so this does too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from veil.domain.content import TEXT_LIMIT
from veil.domain.text import utf16_len

# Where one client message ends and the next begins, inside a bundle.
BOUNDARY = "\n· · ·\n"


@dataclass(frozen=True)
class Piece:
    text: str
    entities: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class Bundle:
    count: int  # how many of the leading pieces it carries
    text: str
    entities: tuple[dict[str, Any], ...]


def bundle(pieces: Sequence[Piece], limit: int = TEXT_LIMIT) -> Bundle:
    """The longest run of leading pieces that fits one message of ``limit`` units.

    The first piece always goes, even alone; its entities keep their place and the
    others' are shifted by the text before them.
    """
    if not pieces:
        raise ValueError("nothing to bundle")
    texts = [pieces[0].text]
    entities = [dict(e) for e in pieces[0].entities]
    size = utf16_len(pieces[0].text)
    gap = utf16_len(BOUNDARY)
    for piece in pieces[1:]:
        length = utf16_len(piece.text)
        if size + gap + length > limit:
            break
        shift = size + gap
        entities += [{**e, "offset": int(e["offset"]) + shift} for e in piece.entities]
        texts.append(piece.text)
        size = shift + length
    return Bundle(len(texts), BOUNDARY.join(texts), tuple(entities))
