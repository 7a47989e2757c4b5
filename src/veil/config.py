"""Settings: one model, ``VEIL_`` environment variables, ``.env`` supported."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from veil.domain.calendar import BusinessHours, CalendarError
from veil.domain.model import Role
from veil.domain.pacing import FloodLimits
from veil.domain.sla import DEFAULT_TARGETS, DEFAULT_WARN_AT, SlaClock, SlaError, SlaPolicy, Targets
from veil.services.desks import DeskGroup, parse_desks

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
TABLE_NAME = r"^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$"
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
TOKEN_SHAPE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
SUPPORTED_DATABASES = {"sqlite+aiosqlite", "postgresql+asyncpg"}


class ConfigError(Exception):
    """A setting is missing or malformed; the message tells the operator what to do."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEIL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    desk_chat_id: int | None = None
    # Several desk groups: "-1001,-1002" (shards) or "-1001=L1,-1002=L2+L3" (by level).
    desk_chat_ids: str | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    database_url: str = "sqlite+aiosqlite:///./veil.db"
    redis_url: str | None = None
    # Prefix of every Redis key: deployments (or test runs) sharing one Redis stay apart.
    redis_namespace: str = Field("veil", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    # Fernet keys, comma-separated, newest first (it seals; all open). Unset: the key file,
    # created on first run when there is none.
    encryption_keys: SecretStr | None = None
    encryption_key_file: Path = Path("veil.keys")
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = Field(8080, ge=1, le=65535)

    desk_language: str = "en"
    log_level: str = "INFO"
    polling_timeout: int = Field(30, ge=0, le=50)
    # Updates of different chats handled side by side (each chat's in order).
    update_concurrency: int = Field(8, ge=1, le=64)
    sender_poll_interval: float = Field(0.5, gt=0)
    sender_concurrency: int = Field(8, ge=1, le=64)
    sender_max_backoff: float = Field(60.0, gt=0)
    sender_workers: int = Field(1, ge=1, le=16)
    # Longer than any one Bot API call may take (calls time out after request_timeout):
    # a row held past its lease is taken to be abandoned and sent again.
    sender_lease_seconds: float = Field(90.0, gt=0)
    request_timeout: float = Field(30.0, gt=0)
    # A client's text waiting this long for the desk's budget is bundled with the next.
    sender_bundle_after: float = Field(1.0, ge=0)
    flood_chat_per_second: float = Field(1.0, gt=0)
    flood_group_per_minute: float = Field(20.0, gt=0)
    flood_global_per_second: float = Field(30.0, gt=0)
    flood_margin: float = Field(0.10, ge=0, lt=1)
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(None, ge=1, le=65535)
    housekeeping_interval: float = Field(3600.0, gt=0)
    agent_capacity: int = Field(5, ge=1, le=50)
    offline_grace_seconds: float = Field(300.0, ge=0)
    queue_alert_seconds: float = Field(600.0, gt=0)
    watch_interval: float = Field(15.0, gt=0)
    invite_ttl_hours: float = Field(24.0, gt=0)
    # Per client, sliding windows (an admin may set other limits for one person).
    tickets_per_day: int = Field(5, ge=1, le=10_000)
    messages_per_hour: int = Field(50, ge=1, le=100_000)
    # Commands and button presses per person and minute.
    desk_actions_per_minute: int = Field(30, ge=1, le=10_000)
    # How long a button Veil sent works (a ticket card's buttons are signed afresh at
    # every change of the card); an older press is refused as expired.
    button_lifetime_seconds: float = Field(30 * 86_400, ge=60)
    # Hide the phone numbers, e-mail addresses and card numbers clients type from agents.
    masking: bool = True
    # Erase the contents of tickets closed longer ago than this (0: keep them).
    retention_days: float = Field(365.0, ge=0)

    # SLA targets per priority, in seconds of business hours (see docs/sla.md).
    sla_first_response: str = DEFAULT_TARGETS[SlaClock.FIRST_RESPONSE]
    sla_next_response: str = DEFAULT_TARGETS[SlaClock.NEXT_RESPONSE]
    sla_resolution: str = DEFAULT_TARGETS[SlaClock.RESOLUTION]
    # The owner is warned when this share of a target has run.
    sla_warn_at: float = Field(DEFAULT_WARN_AT, gt=0, lt=1)
    # How often SLA clocks and silent tickets are looked at.
    autopilot_seconds: float = Field(5.0, gt=0)
    # When the clocks run, e.g. "Mon-Fri 09:00-18:00" (unset: always), in timezone.
    business_hours: str | None = None
    timezone: str = "UTC"
    # A ticket silent this long is closed, the client warned this long before.
    auto_close_seconds: float = Field(86_400.0, gt=0)
    auto_close_warning_seconds: float = Field(3_600.0, ge=0)
    # A client writing this soon after a close reopens the ticket.
    reopen_window_seconds: float = Field(172_800.0, ge=0)
    # The daily digest to admins, local time in timezone ("HH:MM"); off with false.
    daily_report: bool = True
    report_time: str = "09:00"

    # A directory of <language>.ftl files adding languages or overriding any of Veil's texts.
    locales_dir: Path | None = None
    # Add Veil's commands to the bot's menu (merged with a host's, never replacing them).
    manage_commands: bool = True
    # A ticket about an appointment starting within this many hours starts at high priority.
    appointment_soon_hours: float = Field(24.0, ge=0)

    # Webhook mode (unset: long polling). Veil listens on webhook_listen, behind the
    # operator's TLS proxy that webhook_url points at.
    webhook_url: str | None = None
    webhook_listen: str = Field("127.0.0.1:8081", pattern=r"^[^\s:]+:\d{1,5}$")
    webhook_secret: SecretStr | None = None

    # Embedded in a host bot: its own users table, read and never written ("who is this").
    host_users_table: str | None = Field(None, pattern=TABLE_NAME)
    host_users_telegram_id_column: str = Field("telegram_id", pattern=IDENTIFIER)
    host_users_role_column: str = Field("role", pattern=IDENTIFIER)
    host_users_language_column: str | None = Field(None, pattern=IDENTIFIER)
    # The host's role values and the roles they are to Veil: "owner=admin,staff=support_agent".
    # Values not listed count as clients.
    host_roles: Annotated[dict[str, Role], NoDecode] = Field(
        default_factory=lambda: {role.value: role for role in Role}
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value.upper()

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_SHAPE.match(value.get_secret_value()):
            raise ValueError("does not look like a bot token (expected <digits>:<secret>)")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError("must be the public https URL Telegram is to call")
        return value or None

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("may hold 1-256 of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    def webhook_address(self) -> tuple[str, int]:
        host, _, port = self.webhook_listen.rpartition(":")
        return host, int(port)

    @field_validator("desk_chat_id")
    @classmethod
    def _desk_is_a_group(cls, value: int | None) -> int | None:
        if value is not None and value >= 0:
            raise ValueError("must be a supergroup id, which is negative (like -1001234567890)")
        return value

    @field_validator("desk_chat_ids")
    @classmethod
    def _desk_groups(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            parse_desks(value)  # raises ValueError with the reason
            return value
        return None

    def desk_groups(self) -> list[DeskGroup]:
        """Every desk group, VEIL_DESK_CHAT_ID first (desk-wide notices go there): it and
        those VEIL_DESK_CHAT_IDS lists."""
        listed = parse_desks(self.desk_chat_ids) if self.desk_chat_ids else []
        if self.desk_chat_id is None:
            return listed
        main = next((g for g in listed if g.chat_id == self.desk_chat_id), None)
        rest = [g for g in listed if g.chat_id != self.desk_chat_id]
        return [main or DeskGroup(self.desk_chat_id), *rest]

    def flood_limits(self) -> FloodLimits:
        return FloodLimits(
            chat_per_second=self.flood_chat_per_second,
            group_per_minute=self.flood_group_per_minute,
            global_per_second=self.flood_global_per_second,
            margin=self.flood_margin,
        )

    @field_validator("host_roles", mode="before")
    @classmethod
    def _role_pairs(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        roles: dict[str, Role] = {}
        known = ", ".join(role.value for role in Role)
        for pair in filter(None, (p.strip() for p in value.split(","))):
            host_value, sep, veil_role = (part.strip() for part in pair.partition("="))
            if not sep or not host_value:
                raise ValueError(f"expects host_value=role pairs, e.g. owner=admin; got {pair!r}")
            try:
                roles[host_value] = Role(veil_role)
            except ValueError:
                raise ValueError(f"names {veil_role!r}, which is not a role ({known})") from None
        return roles

    @field_validator("sla_first_response", "sla_next_response", "sla_resolution")
    @classmethod
    def _targets(cls, value: str) -> str:
        try:
            Targets.parse(value)
        except SlaError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("report_time")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError("must be a time of day like 09:00 (24-hour clock)")
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            BusinessHours.parse(None, value)
        except CalendarError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("business_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        try:
            BusinessHours.parse(value)
        except CalendarError as exc:
            raise ValueError(str(exc)) from None
        return value or None

    @model_validator(mode="after")
    def _warning_before_close(self) -> Settings:
        if self.auto_close_warning_seconds >= self.auto_close_seconds:
            raise ValueError(
                "VEIL_AUTO_CLOSE_WARNING_SECONDS must be shorter than VEIL_AUTO_CLOSE_SECONDS"
            )
        return self

    def sla_policy(self) -> SlaPolicy:
        targets = {
            SlaClock.FIRST_RESPONSE: Targets.parse(self.sla_first_response),
            SlaClock.NEXT_RESPONSE: Targets.parse(self.sla_next_response),
            SlaClock.RESOLUTION: Targets.parse(self.sla_resolution),
        }
        hours = BusinessHours.parse(self.business_hours, self.timezone)
        return SlaPolicy(targets, hours, self.sla_warn_at)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(re.fullmatch(r"\d{1,20}", p) for p in parts):
                raise ValueError("must be comma-separated Telegram user ids, e.g. 123,456")
            return [int(p) for p in parts]
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a database URL; use sqlite+aiosqlite:///./veil.db or "
                "postgresql+asyncpg://user@host/db"
            ) from None
        if url.drivername not in SUPPORTED_DATABASES:
            raise ValueError(
                f"uses {url.drivername!r}; supported: {', '.join(sorted(SUPPORTED_DATABASES))}"
            )
        return value

    def require_bot(self) -> tuple[str, int]:
        """The token and desk chat id, which running the bot cannot do without."""
        return self.require_token(), self.require_desk()

    def require_token(self) -> str:
        """The bot's token (a host that shares its own Bot needs none here)."""
        if self.bot_token is None:
            raise ConfigError(
                "VEIL_BOT_TOKEN is not set. Get a token from @BotFather and put it in the "
                "environment or in .env (or try `veil demo`, which needs none)."
            )
        return self.bot_token.get_secret_value()

    def require_desk(self) -> int:
        """The desk group where desk-wide notices go."""
        groups = self.desk_groups()
        if groups and self.desk_chat_id is None:
            return groups[0].chat_id
        if self.desk_chat_id is None:
            raise ConfigError(
                "VEIL_DESK_CHAT_ID is not set. Create a supergroup with topics enabled, add the "
                "bot as an admin, and set its id (negative, like -1001234567890)."
            )
        return self.desk_chat_id


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning validation errors into one readable ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["loc"]:
                lines.append(f"VEIL_{str(error['loc'][0]).upper()} {message}")
            else:  # a rule between settings: the message names them
                lines.append(message)
        raise ConfigError("invalid settings:\n  " + "\n  ".join(lines)) from None
