"""Who may do what: every command and button of Veil, and the one rule each declares.

A person stands somewhere on the desk (a client, an agent, an admin); some acts also ask
something of the ticket in question (its own client, someone who may work it, an agent of
its level). Every act names its rule here, so that a new command cannot forget one: the
Telegram edge refuses any handler that declares no act, and the guard asks ``judge``
before the handler runs. Refusals are values (``Refusal``), never texts: the edge decides
how to say them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from veil.domain.model import Level
from veil.domain.routing import LEVEL_RANK, outranks_or_equals


class Standing(enum.IntEnum):
    """Where a person stands on the desk; each standing includes the ones below it.

    A host's provider asks for support like a client: to the desk they are a client.
    """

    CLIENT = 0
    AGENT = 1
    ADMIN = 2


class Need(enum.Enum):
    """What an act asks of the person about the ticket in question (when there is one)."""

    NOTHING = "nothing"
    OWN_TICKET = "own ticket"  # the ticket's own client
    WORK_TICKET = "work ticket"  # its owner, a higher level than the owner, an admin
    TICKET_LEVEL = "ticket level"  # an agent of the ticket's level or above (taking it)


class Refusal(enum.Enum):
    NOT_AN_ADMIN = "not an admin"
    NOT_AN_AGENT = "not an agent"
    STAFF = "staff"  # an act for clients only, asked by staff
    NOT_THEIR_TICKET = "not their ticket"
    NOT_THEIRS_TO_WORK = "not theirs to work"
    LEVEL_TOO_LOW = "level too low"


@dataclass(frozen=True)
class Rule:
    least: Standing = Standing.CLIENT
    need: Need = Need.NOTHING
    clients_only: bool = False  # staff are refused (erasing a client's history)


ANYONE = Rule()
AGENTS = Rule(Standing.AGENT)
ADMINS = Rule(Standing.ADMIN)
WORKERS = Rule(Standing.AGENT, Need.WORK_TICKET)
OWN = Rule(need=Need.OWN_TICKET)


class Act(enum.Enum):
    """Every command and button: its name (for the audit log), its rule, and whether it
    may change who holds which ticket (then the guard takes the routing lock before it
    reads a ticket: see ``services/routing.py``; the store refuses it any later)."""

    def __init__(self, label: str, rule: Rule, moves: bool = False) -> None:
        self.label = label
        self.rule = rule
        self.moves = moves

    # A client's private chat.
    MENU = ("/start", ANYONE)
    OPEN_SUPPORT = ("Live Support", ANYONE)
    WRITE = ("a message", ANYONE)  # to support, or (staff) to a ticket worked in private
    EDIT = ("an edit", ANYONE)
    END_CHAT = ("/end", OWN, True)
    LIST_TICKETS = ("/tickets", ANYONE)
    TRANSCRIPT = ("a transcript", OWN)
    ANSWER_OFFER = ("an answer to an offer", OWN)
    FORGET_ME = ("/forget_me", Rule(clients_only=True), True)
    RATE = ("a rating", OWN)
    RATE_COMMENT = ("a rating comment", OWN)
    HELP = ("/help", ANYONE)
    ACCEPT_INVITE = ("an invite link", ANYONE)
    # Agents' private chat.
    ONLINE = ("/online", AGENTS)
    AWAY = ("/away", AGENTS)
    OFFLINE = ("/offline", AGENTS)
    MY_TICKETS = ("/mine", AGENTS)
    QUEUE = ("/queue", AGENTS)
    STATS = ("/stats", AGENTS)
    BACK_TO_TOPIC = ("/back", AGENTS)
    # Admins' private chat.
    INVITE_AGENT = ("/invite_agent", ADMINS)
    LIST_AGENTS = ("/agents", ADMINS)
    AGENT_LEVEL = ("/agent_level", ADMINS)
    AGENT_CAPACITY = ("/agent_capacity", ADMINS)
    REMOVE_AGENT = ("/remove_agent", ADMINS)
    BAN = ("/ban", ADMINS)
    UNBAN = ("/unban", ADMINS)
    ALLOW = ("/allow", ADMINS)
    REPORT = ("/report", ADMINS)
    CANNED_SET = ("/canned_set", ADMINS)
    CANNED_DELETE = ("/canned_delete", ADMINS)
    CANNED_LIST = ("/canned_list", ADMINS)
    # The desk group, in a ticket's topic (or in an agent's private chat, working one).
    ANSWER = ("an answer", WORKERS)
    # An edit in a ticket's topic is judged as what it edits: an answer (``ANSWER``'s
    # rule), a note (``NOTE``'s), or nothing Veil keeps (let through: it is ignored).
    EDIT_IN_DESK = ("an edit in the desk", ANYONE)
    NOTE = ("/note", AGENTS)  # any agent may leave a note, on any ticket
    CLOSE = ("/close", WORKERS, True)
    TOPIC_CLOSED = ("closing a topic", WORKERS, True)
    TAKE = ("/take", Rule(Standing.AGENT, Need.TICKET_LEVEL), True)
    TRANSFER = ("/transfer", WORKERS, True)
    ESCALATE = ("/escalate", WORKERS, True)
    PRIORITY = ("/priority", WORKERS, True)
    CANNED_MENU = ("/canned", WORKERS)
    SEND_CANNED = ("a canned answer", WORKERS)
    WORK_PRIVATELY = ("/private", WORKERS)
    RESCHEDULE = ("/reschedule", WORKERS)
    CANCEL_BOOKING = ("/cancel_booking", WORKERS)
    PROPOSE_OFFER = ("an appointment offer", WORKERS)
    REMOVE_MEMBER = ("/remove_member", ADMINS)
    DESK_HELP = ("/help in the desk", ANYONE)
    # Anything else in the desk: the desk's own chatter, moves, unknown commands.
    DESK_CHATTER = ("a desk message", ANYONE)
    # A press that is no press of Veil's (forged, expired, pressed in another chat): it
    # is refused by what it is, not by who pressed it.
    BUTTON = ("a button", ANYONE)


@dataclass(frozen=True)
class Person:
    """What the rules know of someone: their standing, and their level when they have an
    agent's record (kept after they stop being one)."""

    standing: Standing
    user_id: int | None = None
    level: Level | None = None


@dataclass(frozen=True)
class TicketView:
    """What the rules know of a ticket: whose it is, who holds it, at what level."""

    client_id: int
    required_level: Level
    owner_id: int | None = None
    owner_level: Level | None = None  # None: no owner, or the owner is no agent any more


def judge(rule: Rule, person: Person, ticket: TicketView | None = None) -> Refusal | None:
    """Why ``person`` may not do what ``rule`` guards, or None when they may.

    An act about a ticket, asked where there is none (a desk command in the General
    topic), is let through: the act finds no ticket either, and says so itself.
    """
    if rule.clients_only and (person.standing > Standing.CLIENT or person.level is not None):
        return Refusal.STAFF  # agents past too: their name is on other clients' tickets
    if rule.need is not Need.NOTHING and ticket is None:
        return None  # nothing to act on: the act finds nothing either, and says so
    if person.standing < rule.least:
        return Refusal.NOT_AN_ADMIN if rule.least is Standing.ADMIN else Refusal.NOT_AN_AGENT
    if ticket is None:
        return None
    match rule.need:
        case Need.NOTHING:
            return None
        case Need.OWN_TICKET:
            mine = person.user_id is not None and person.user_id == ticket.client_id
            return None if mine else Refusal.NOT_THEIR_TICKET
        case Need.TICKET_LEVEL:
            return None if _reaches(person, ticket.required_level) else Refusal.LEVEL_TOO_LOW
        case Need.WORK_TICKET:
            return None if may_work(person, ticket) else Refusal.NOT_THEIRS_TO_WORK


def may_work(person: Person, ticket: TicketView) -> bool:
    """The owner, an agent of a higher level than the owner, or an admin may answer the
    client or change the ticket; an unowned ticket is open to its level and above."""
    if person.standing is Standing.ADMIN:
        return True
    if person.standing < Standing.AGENT or person.level is None:
        return False
    if ticket.owner_id is not None and ticket.owner_id == person.user_id:
        return True
    if ticket.owner_id is None:
        return _reaches(person, ticket.required_level)
    if ticket.owner_level is None:  # the owner is gone: anyone who may answer may act
        return True
    return LEVEL_RANK[person.level] > LEVEL_RANK[ticket.owner_level]


def _reaches(person: Person, required: Level) -> bool:
    if person.standing is Standing.ADMIN:
        return True
    return person.level is not None and outranks_or_equals(person.level, required)
