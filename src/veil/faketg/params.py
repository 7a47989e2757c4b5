"""Reading Bot API parameters from any of the encodings Telegram accepts.

Form encodings carry only strings, so nested objects arrive JSON-encoded and numbers as
text; this module turns them back into the values a JSON body would have had."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import BodyPartReader, web

from .errors import FakeError
from .files import UploadedFile

JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "allowed_updates",
        "message_ids",
        "link_preview_options",
        "media",
        "scope",
        "commands",
        "options",
        "question_entities",
        "explanation_entities",
        "permissions",
        "menu_button",
        "results",
    }
)
INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_thread_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "icon_color",
        "duration",
        "width",
        "height",
        "length",
        "live_period",
        "heading",
        "proximity_alert_radius",
        "cache_time",
        "max_connections",
        "until_date",
        "expire_date",
        "member_limit",
        "open_period",
        "close_date",
        "correct_option_id",
    }
)
FLOAT_FIELDS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "has_spoiler",
        "drop_pending_updates",
        "is_anonymous",
        "allows_multiple_answers",
        "disable_content_type_detection",
        "supports_streaming",
        "remove_caption",
        "show_caption_above_media",
        "is_closed",
        "creates_join_request",
        "only_if_banned",
        "revoke_messages",
        "disable_web_page_preview",
        "allow_paid_broadcast",
        "for_channels",
    }
)
_INTEGER = re.compile(r"-?\d+")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


async def read_params(request: web.Request) -> dict[str, Any]:
    """All parameters of a request: query string first, body on top, uploads attached."""
    raw: dict[str, Any] = dict(request.query)
    uploads: dict[str, UploadedFile] = {}
    if request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            raw.update(await _read_json(request))
        elif content_type == "multipart/form-data":
            await _read_multipart(request, raw, uploads)
        elif content_type == "application/x-www-form-urlencoded":
            raw.update(await request.post())
    params = {name: coerce(name, value) for name, value in raw.items()}
    return attach_uploads(params, uploads)


async def _read_json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise FakeError.bad_request("can't parse JSON request body") from error
    if not isinstance(body, dict):
        raise FakeError.bad_request("request body must be a JSON object")
    return body


async def _read_multipart(
    request: web.Request, raw: dict[str, Any], uploads: dict[str, UploadedFile]
) -> None:
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            data = bytes(await part.read(decode=True))
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            uploads[part.name] = UploadedFile(part.filename, content_type, data)
        else:
            raw[part.name] = await part.text()


def attach_uploads(params: dict[str, Any], uploads: dict[str, UploadedFile]) -> dict[str, Any]:
    """Resolve `attach://name` references; a file part not referenced anywhere is the
    parameter of its own name (`photo=<file>`), as Telegram allows."""
    used: set[str] = set()

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in uploads:
                raise FakeError.bad_request(f"file {name!r} not found in the request")
            used.add(name)
            return uploads[name]
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        return value

    resolved = {name: resolve(value) for name, value in params.items()}
    for name, upload in uploads.items():
        if name not in used and name not in resolved:
            resolved[name] = upload
    return resolved


def coerce(name: str, value: Any) -> Any:
    """Turn a string from a form or query into the type the parameter has."""
    if not isinstance(value, str):
        return value
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError as error:
            raise FakeError.bad_request(f"can't parse {name} JSON object") from error
    if name in INT_FIELDS:
        return int(value) if _INTEGER.fullmatch(value.strip()) else value
    if name in FLOAT_FIELDS:
        try:
            return float(value)
        except ValueError as error:
            raise FakeError.bad_request(f"can't parse {name}") from error
    if name in BOOL_FIELDS:
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return value
