"""The desk groups: which levels each serves, where a new ticket goes, and groups that
Telegram moved to a new chat id.

One supergroup takes about 20 messages a minute from the bot, so a busy desk is spread
over several groups: shards serving every level, or one group per level. A ticket stays
in the group it was opened in (its topic lives there), escalated or not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from veil.domain.model import Level


@dataclass(frozen=True)
class DeskGroup:
    chat_id: int
    levels: frozenset[Level] = frozenset()  # empty: every level

    def serves(self, level: Level) -> bool:
        return not self.levels or level in self.levels


class Desks:
    """Mutable only through ``moved``: a migrated group keeps its place and its levels."""

    def __init__(self, groups: Sequence[DeskGroup]) -> None:
        if not groups:
            raise ValueError("at least one desk group is needed")
        self._groups = list(groups)
        self._moves: dict[int, int] = {}

    @classmethod
    def single(cls, chat_id: int) -> Desks:
        return cls([DeskGroup(chat_id)])

    @property
    def primary(self) -> int:
        """The first group: demand alerts and other desk-wide notices go there."""
        return self._groups[0].chat_id

    @property
    def chat_ids(self) -> list[int]:
        return [g.chat_id for g in self._groups]

    @property
    def groups(self) -> list[DeskGroup]:
        return list(self._groups)

    def is_desk(self, chat_id: int) -> bool:
        return any(g.chat_id == chat_id for g in self._groups)

    def holds(self, ticket_desk: int, chat_id: int) -> bool:
        """Is ``chat_id`` (maybe an old id of a moved group) the desk group a ticket of
        ``ticket_desk`` lives in? A card's buttons act only there."""
        return self.is_desk(self.current(chat_id)) and self.current(chat_id) == self.current(
            ticket_desk
        )

    def serving_up_to(self, level: Level) -> list[int]:
        """The groups whose tickets an agent of ``level`` may be given."""
        rank = list(Level).index(level)
        return [
            g.chat_id
            for g in self._groups
            if not g.levels or any(list(Level).index(x) <= rank for x in g.levels)
        ]

    def current(self, chat_id: int) -> int:
        """Where a chat id points now, following moves (chains included)."""
        seen: set[int] = set()
        while chat_id in self._moves and chat_id not in seen:
            seen.add(chat_id)
            chat_id = self._moves[chat_id]
        return chat_id

    def moved(self, old: int, new: int) -> None:
        self._moves[old] = new
        self._groups = [DeskGroup(new, g.levels) if g.chat_id == old else g for g in self._groups]

    def apply_moves(self, moves: Iterable[tuple[int, int]]) -> None:
        for old, new in moves:
            self.moved(old, new)
        # A group configured by an old id may have moved more than once.
        self._groups = [DeskGroup(self.current(g.chat_id), g.levels) for g in self._groups]

    def for_new_ticket(self, level: Level, open_tickets: Mapping[int, int]) -> int:
        """The least busy group serving ``level`` (any group if none is set up for it);
        ties go to the group listed first."""
        serving = [g for g in self._groups if g.serves(level)] or self._groups
        return min(serving, key=lambda g: open_tickets.get(g.chat_id, 0)).chat_id


def parse_desks(spec: str) -> list[DeskGroup]:
    """``-1001,-1002`` (shards for every level) or ``-1001=L1,-1002=L2+L3``."""
    groups: list[DeskGroup] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        chat, _, levels = item.partition("=")
        try:
            chat_id = int(chat.strip())
        except ValueError:
            raise ValueError(f"{chat.strip()!r} is not a chat id") from None
        if chat_id >= 0:
            raise ValueError(f"{chat_id} is not a group id (group ids are negative)")
        try:
            wanted = frozenset(Level(x.strip().upper()) for x in levels.split("+") if x.strip())
        except ValueError:
            raise ValueError(f"levels {levels!r} must be L1, L2 or L3 joined by +") from None
        groups.append(DeskGroup(chat_id, wanted))
    if len({g.chat_id for g in groups}) != len(groups):
        raise ValueError("a desk group is listed twice")
    return groups
