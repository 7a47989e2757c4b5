"""Stored files: every photo, video or document the fake has seen gets a file_id that
later calls can reuse, exactly as with Telegram, and an uploaded file keeps its bytes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from .errors import FakeError

MEDIA_KINDS = (
    "photo",
    "video",
    "audio",
    "document",
    "voice",
    "video_note",
    "animation",
    "sticker",
)
# Kinds that can carry a caption; a video note or a sticker never can.
CAPTIONED_KINDS = frozenset({"photo", "video", "audio", "document", "voice", "animation"})

# Real file_ids start with a type marker; keeping it makes ids look and sort like Telegram's.
_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "video": {
        "width": 1280,
        "height": 720,
        "duration": 5,
        "file_name": "video.mp4",
        "mime_type": "video/mp4",
    },
    "audio": {"duration": 180, "file_name": "audio.mp3", "mime_type": "audio/mpeg"},
    "document": {"file_name": "document.pdf", "mime_type": "application/pdf"},
    "voice": {"duration": 3, "mime_type": "audio/ogg"},
    "video_note": {"length": 240, "duration": 4},
    "animation": {
        "width": 320,
        "height": 240,
        "duration": 2,
        "file_name": "animation.mp4",
        "mime_type": "video/mp4",
    },
    "sticker": {
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "🙂",
    },
}
_PHOTO_SIZES = ((90, 67), (320, 240), (1280, 960))
_EXTENSION = {
    "photo": "jpg",
    "video": "mp4",
    "audio": "mp3",
    "voice": "oga",
    "video_note": "mp4",
    "animation": "mp4",
    "sticker": "webp",
}


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes

    def describe(self) -> dict[str, Any]:
        return {"upload": self.filename, "size": len(self.data)}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    media: Any  # the Message field value: a list of sizes for photos, an object otherwise
    data: bytes
    file_path: str


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._count = 0

    def new_media(self, kind: str, upload: UploadedFile | None = None) -> Any:
        """Create a file of `kind` (from an upload or synthetic) and return the value of the
        Message field that shows it."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"unknown media kind {kind!r}")
        if kind == "photo":
            sizes = [
                self._new_object(kind, {"width": w, "height": h}, upload) for w, h in _PHOTO_SIZES
            ]
            for size in sizes:
                self._by_id[size["file_id"]].media = sizes
            return sizes
        extra = dict(_DEFAULTS[kind])
        if upload is not None and kind not in ("voice", "video_note", "sticker"):
            extra["file_name"] = upload.filename
            if upload.content_type and upload.content_type != "application/octet-stream":
                extra["mime_type"] = upload.content_type
        media = self._new_object(kind, extra, upload)
        self._by_id[media["file_id"]].media = media
        return media

    def resolve(self, kind: str, value: Any) -> Any:
        """Turn a method's file parameter (file_id, URL or upload) into the Message field."""
        if isinstance(value, UploadedFile):
            return self.new_media(kind, value)
        if not isinstance(value, str) or not value:
            raise FakeError.bad_request(f"there is no {kind} in the request")
        if value.startswith(("http://", "https://")):
            # Telegram would download it; the fake just pretends it did.
            return self.new_media(kind)
        stored = self._by_id.get(value)
        if stored is None:
            raise FakeError.bad_request("wrong file identifier/HTTP URL specified")
        if not _compatible(stored.kind, kind):
            raise FakeError.bad_request(
                f"can't use file of type {_title(stored.kind)} as {_title(kind)}"
            )
        if kind == "photo":
            return stored.media
        return stored.media if stored.kind == kind else _as_kind(stored, kind)

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)

    def _new_object(self, kind: str, extra: dict[str, Any], upload: UploadedFile | None) -> Any:
        self._count += 1
        data = upload.data if upload is not None else f"fake {kind} #{self._count}".encode()
        file_id = _PREFIX[kind] + secrets.token_urlsafe(42)
        unique = "AQAD" + secrets.token_urlsafe(12)
        folder = "photos" if kind == "photo" else f"{kind}s"
        path = f"{folder}/file_{self._count}.{_EXTENSION.get(kind, 'bin')}"
        obj = {"file_id": file_id, "file_unique_id": unique, **extra, "file_size": len(data)}
        stored = StoredFile(file_id, unique, kind, obj, data, path)
        self._by_id[file_id] = stored
        self._by_path[path] = stored
        return obj


def _compatible(stored: str, wanted: str) -> bool:
    # An animation is also a document in Telegram, so either method accepts its id.
    return stored == wanted or {stored, wanted} == {"animation", "document"}


def _as_kind(stored: StoredFile, kind: str) -> Any:
    media = {**_DEFAULTS.get(kind, {}), **stored.media}
    if kind == "document":
        for key in ("width", "height", "duration"):
            media.pop(key, None)
    return media


def _title(kind: str) -> str:
    return kind.replace("_", " ").title().replace(" ", "")


def animation_as_document(animation: dict[str, Any]) -> dict[str, Any]:
    """Telegram repeats an animation as `document` for old clients."""
    return {k: v for k, v in animation.items() if k not in ("width", "height", "duration")}
