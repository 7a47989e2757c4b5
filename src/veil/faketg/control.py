"""The HTTP control API under /_control/: the Python API of `FakeTelegram`, reachable
from another process (an e2e test driving a bot that runs as a real process)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from .chaos import Chaos
from .errors import FakeError, ScenarioError
from .files import MEDIA_KINDS, UploadedFile
from .limits import RateLimits

if TYPE_CHECKING:
    from .fake import FakeTelegram

Body = dict[str, Any]
Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application, tg: FakeTelegram) -> None:
    posts: dict[str, Callable[[Body], Any]] = {
        "bots": lambda b: tg.add_bot(
            b["token"],
            username=b.get("username", "veil_bot"),
            first_name=b.get("first_name", "Scheduler"),
        ),
        "users": lambda b: {
            "id": tg.add_user(
                **_pick(b, "first_name", "last_name", "username", "language_code", "phone")
            )
        },
        "supergroups": lambda b: {
            "id": tg.add_supergroup(
                b["title"],
                is_forum=bool(b.get("is_forum", True)),
                members=[int(m) for m in b.get("members", [])],
                admins=[int(m) for m in b.get("admins", [])],
            )
        },
        "members": lambda b: tg.add_member(
            int(b["chat_id"]),
            int(b["user_id"]),
            status=b.get("status", "member"),
            announce=bool(b.get("announce")),
        ),
        "send": lambda b: _send(tg, b),
        "album": lambda b: tg.send_album(
            int(b["user_id"]),
            int(b["chat_id"]),
            b["kinds"],
            caption=b.get("caption"),
            thread_id=_opt_int(b, "thread_id"),
        ),
        "edit": lambda b: _edit(tg, b),
        "press": lambda b: {
            "id": tg.press_button(
                int(b["user_id"]), int(b["chat_id"]), int(b["message_id"]), str(b["data"])
            )
        },
        "block": lambda b: tg.block_bot(int(b["user_id"]), bool(b.get("blocked", True))),
        "deactivate": lambda b: tg.deactivate_user(int(b["user_id"])),
        "delete_topic": lambda b: tg.delete_topic(int(b["chat_id"]), int(b["thread_id"])),
        "migrate": lambda b: {"id": tg.migrate_group(int(b["chat_id"]))},
        "fail": lambda b: tg.fail_next(
            _fault(b),
            method=b.get("method"),
            chat_id=_opt_int(b, "chat_id"),
            count=int(b.get("count", 1)),
        ),
    }
    gets: dict[str, Callable[[web.Request], Any]] = {
        "messages": lambda r: tg.messages(_q_int(r, "chat_id"), _thread_filter(r)),
        "calls": lambda r: [
            {"index": i, **dataclasses.asdict(call)}
            for i, call in enumerate(tg.calls)
            if i >= int(r.query.get("since", 0))
        ],
        "topics": lambda r: {str(k): v for k, v in tg.topics(_q_int(r, "chat_id")).items()},
        "updates": lambda r: tg.pending_updates(r.query["token"]),
        "callback_answers": lambda r: tg.callback_answers,
        "unknown_methods": lambda r: tg.unknown_methods,
    }
    for name, action in posts.items():
        app.router.add_post(f"/_control/{name}", _post_route(action))
    for name, reader in gets.items():
        app.router.add_get(f"/_control/{name}", _get_route(reader))
    _add_settings_routes(app, tg)


def _add_settings_routes(app: web.Application, tg: FakeTelegram) -> None:
    """GET shows, POST replaces the chaos and flood-limit settings: a JSON object of the
    dataclass's fields (omitted ones take their defaults) or null to switch them off."""

    def set_chaos(body: Body | None) -> Any:
        tg.chaos = None if body is None else _settings(Chaos, body)
        return show_chaos(None)

    def show_chaos(_: web.Request | None) -> Any:
        settings = tg.chaos
        return {
            "chaos": None if settings is None else dataclasses.asdict(settings),
            "counts": tg.chaos_counts,
        }

    def set_limits(body: Body | None) -> Any:
        tg.limits = None if body is None else _settings(RateLimits, body)
        return show_limits(None)

    def show_limits(_: web.Request | None) -> Any:
        limits = tg.limits
        return {"limits": None if limits is None else dataclasses.asdict(limits)}

    app.router.add_post("/_control/chaos", _post_route(set_chaos, nullable=True))
    app.router.add_get("/_control/chaos", _get_route(show_chaos))
    app.router.add_post("/_control/limits", _post_route(set_limits, nullable=True))
    app.router.add_get("/_control/limits", _get_route(show_limits))


_Settings = TypeVar("_Settings")


def _settings(cls: type[_Settings], body: Body) -> _Settings:
    """A settings dataclass from JSON; unknown fields are refused (a typo would otherwise
    silently leave a fault off) and the class checks the values."""
    known = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise ScenarioError(
            f"unknown field(s) {', '.join(unknown)}; expected some of {', '.join(known)}"
        )
    return cls(**body)


def _post_route(action: Callable[[Any], Any], *, nullable: bool = False) -> Route:
    async def route(request: web.Request) -> web.Response:
        try:
            body = await request.json() if request.can_read_body else {}
            if not isinstance(body, dict) and not (nullable and body is None):
                expected = "a JSON object or null" if nullable else "a JSON object"
                raise ScenarioError(f"the request body must be {expected}")
            result = action(body)
        except (ScenarioError, FakeError, KeyError, ValueError, TypeError) as error:
            return _error(error)
        return _json({"ok": True} if result is None else result)

    return route


def _get_route(reader: Callable[[web.Request], Any]) -> Route:
    async def route(request: web.Request) -> web.Response:
        try:
            return _json(reader(request))
        except (ScenarioError, KeyError, ValueError, TypeError) as error:
            return _error(error)

    return route


def _error(error: Exception) -> web.Response:
    detail = f"missing field {error}" if isinstance(error, KeyError) else str(error)
    return web.json_response({"error": detail}, status=400)


def _json(value: Any) -> web.Response:
    return web.Response(text=json.dumps(value, default=_jsonable), content_type="application/json")


def _jsonable(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        return value.describe()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _pick(body: Body, *names: str) -> Body:
    return {name: body[name] for name in names if name in body}


def _opt_int(body: Body, name: str) -> int | None:
    value = body.get(name)
    return None if value is None else int(value)


def _q_int(request: web.Request, name: str) -> int:
    return int(request.query[name])


def _thread_filter(request: web.Request) -> Any:
    raw = request.query.get("thread_id")
    if raw is None:
        return ...
    if raw.lower() in ("", "none", "null", "general"):
        return None
    return int(raw)


def _send(tg: FakeTelegram, body: Body) -> Any:
    user, chat = int(body["user_id"]), int(body["chat_id"])
    kind = str(body.get("kind", "text"))
    thread, reply = _opt_int(body, "thread_id"), _opt_int(body, "reply_to")
    if kind == "text":
        return tg.send_text(user, chat, str(body["text"]), thread_id=thread, reply_to=reply)
    if kind in MEDIA_KINDS:
        return tg.send_media(
            user, chat, kind, caption=body.get("caption"), thread_id=thread, reply_to=reply
        )
    if kind == "location":
        return tg.send_location(
            user, chat, float(body["latitude"]), float(body["longitude"]), thread_id=thread
        )
    if kind == "venue":
        return tg.send_venue(
            user,
            chat,
            float(body["latitude"]),
            float(body["longitude"]),
            str(body["title"]),
            str(body["address"]),
            thread_id=thread,
        )
    if kind == "contact":
        return tg.send_contact(
            user, chat, str(body["phone_number"]), str(body["first_name"]), thread_id=thread
        )
    if kind == "poll":
        return tg.send_poll(
            user, chat, str(body["question"]), [str(o) for o in body["options"]], thread_id=thread
        )
    if kind == "dice":
        return tg.send_dice(user, chat, emoji=str(body.get("emoji", "🎲")), thread_id=thread)
    if kind == "forward":
        return tg.forward(
            user, chat, int(body["from_chat_id"]), int(body["message_id"]), thread_id=thread
        )
    raise ScenarioError(f"unknown kind {kind!r}")


def _edit(tg: FakeTelegram, body: Body) -> Any:
    user, chat, message = int(body["user_id"]), int(body["chat_id"]), int(body["message_id"])
    if "caption" in body:
        return tg.edit_caption(user, chat, message, str(body["caption"]))
    return tg.edit_text(user, chat, message, str(body["text"]))


_FAULTS: dict[str, Callable[[Body], FakeError]] = {
    "too_many_requests": lambda b: FakeError.too_many_requests(int(b.get("retry_after", 5))),
    "blocked": lambda b: FakeError.blocked(),
    "deactivated": lambda b: FakeError.deactivated(),
    "thread_not_found": lambda b: FakeError.thread_not_found(),
    "server_error": lambda b: FakeError.server_error(int(b.get("status", 500))),
    "timeout": lambda b: FakeError.timeout(
        float(b.get("seconds", 5)), applied=bool(b.get("applied"))
    ),
    "chat_not_found": lambda b: FakeError.chat_not_found(),
    "dropped": lambda b: FakeError.connection_dropped(applied=bool(b.get("applied"))),
    "bad_request": lambda b: FakeError.bad_request(str(b["description"])),
}


def _fault(body: Body) -> FakeError:
    name = str(body.get("error", ""))
    if name not in _FAULTS:
        raise ScenarioError(f"unknown error {name!r}; one of {', '.join(_FAULTS)}")
    return _FAULTS[name](body)
