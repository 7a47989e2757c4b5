"""Agents and admins in their private chat with the bot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message

from veil.domain.agents import AgentStatus
from veil.domain.permissions import Act
from veil.services import agents, bans, canned, guidance, private, reports, stats
from veil.services.context import Context, Sender
from veil.services.ports import UnitOfWork
from veil.telegram.guard import act
from veil.telegram.handlers import MessageHandler, on_sender
from veil.telegram.incoming import sender_of
from veil.telegram.scope import Scope

ArgsUseCase = Callable[[UnitOfWork, Context, Sender, str], Awaitable[None]]
ArgsHandler = Callable[[Message, CommandObject, UnitOfWork, Context], Awaitable[None]]


def build_router(scope: Scope) -> Router:
    router = Router(name="team")
    router.message.filter(F.chat.type == "private")
    invite_link = CommandStart(deep_link=True, magic=F.args.startswith(agents.INVITE_PREFIX))
    router.message.register(accept_invite, invite_link, flags=act(Act.ACCEPT_INVITE))
    staff = Router(name="team-staff")
    # Inside a host, a client's /stats or /agents is the host's business.
    staff.message.filter(scope.is_staff)
    _register_staff_commands(staff)
    router.include_router(staff)
    return router


_STATUS_ACTS = {
    AgentStatus.ONLINE: Act.ONLINE,
    AgentStatus.AWAY: Act.AWAY,
    AgentStatus.OFFLINE: Act.OFFLINE,
}


def _register_staff_commands(router: Router) -> None:
    def command(handler: MessageHandler | ArgsHandler, name: str, declared: Act) -> None:
        router.message.register(handler, Command(name), flags=act(declared))

    for status in AgentStatus:
        command(on_sender(_set_status(status)), status.value, _STATUS_ACTS[status])
    command(on_sender(agents.my_tickets), "mine", Act.MY_TICKETS)
    command(on_sender(guidance.show_help), "help", Act.HELP)
    command(on_sender(private.back_to_topic), "back", Act.BACK_TO_TOPIC)
    command(on_sender(agents.queue), "queue", Act.QUEUE)
    command(with_args(stats.stats), "stats", Act.STATS)
    command(on_sender(agents.list_agents), "agents", Act.LIST_AGENTS)
    command(with_args(agents.invite), "invite_agent", Act.INVITE_AGENT)
    command(with_args(_change("level")), "agent_level", Act.AGENT_LEVEL)
    command(with_args(_change("capacity")), "agent_capacity", Act.AGENT_CAPACITY)
    command(with_args(agents.remove_agent), "remove_agent", Act.REMOVE_AGENT)
    command(with_args(bans.ban), "ban", Act.BAN)
    command(with_args(bans.unban), "unban", Act.UNBAN)
    command(with_args(bans.allow), "allow", Act.ALLOW)
    command(with_args(reports.on_demand), "report", Act.REPORT)
    for verb, declared in (
        ("set", Act.CANNED_SET),
        ("delete", Act.CANNED_DELETE),
        ("list", Act.CANNED_LIST),
    ):
        command(with_args(_canned(verb)), f"canned_{verb}", declared)


def _set_status(status: AgentStatus) -> Callable[[UnitOfWork, Context, Sender], Awaitable[None]]:
    async def set_status(uow: UnitOfWork, ctx: Context, sender: Sender) -> None:
        await agents.set_status(uow, ctx, sender, status)

    set_status.__name__ = f"set_{status.value}"
    return set_status


def _change(what: str) -> ArgsUseCase:
    async def change(uow: UnitOfWork, ctx: Context, sender: Sender, args: str) -> None:
        await agents.change_agent(uow, ctx, sender, args, what=what)

    return change


def _canned(verb: str) -> ArgsUseCase:
    async def manage(uow: UnitOfWork, ctx: Context, sender: Sender, args: str) -> None:
        await canned.manage(uow, ctx, sender, f"{verb} {args}")

    return manage


def with_args(use_case: ArgsUseCase) -> ArgsHandler:
    """A handler passing who wrote and the command's arguments to ``use_case``."""

    async def handle(
        message: Message, command: CommandObject, uow: UnitOfWork, ctx: Context
    ) -> None:
        if message.from_user is not None and not message.from_user.is_bot:
            await use_case(uow, ctx, sender_of(message.from_user), command.args or "")

    return handle


async def accept_invite(
    message: Message, command: CommandObject, uow: UnitOfWork, ctx: Context
) -> None:
    if message.from_user is not None and command.args:
        token = command.args.removeprefix(agents.INVITE_PREFIX)
        await agents.accept_invite(uow, ctx, sender_of(message.from_user), token)
