"""The one settings object: every `PREPAID_*` variable, its default, its check and an example.

Settings are read once, in `load_settings()`, by the composition root (never at import time), so
tests build their own. A bad value fails at start with one line that names the variable, what is
wrong with the value, and an example of a good one (`ConfigError`). The configuration reference
in the README is generated from this model (`prepaid config reference`), so it cannot drift.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from connector.errors import ConfigError

__all__ = ["ENV_PREFIX", "Settings", "load_settings"]

ENV_PREFIX = "PREPAID_"
SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


def _example(value: str) -> Any:
    return {"example": value}


class Settings(BaseSettings):
    """Every setting of the product; the field description is the reference documentation."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", frozen=True, validate_default=True
    )

    data_dir: Path = Field(
        Path("data"),
        description="Directory for the SQLite database, the generated secret key and screenshots.",
        json_schema_extra=_example("/var/lib/prepaid"),
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database. Default: a SQLite file `prepaid.db` in the data "
        "directory. PostgreSQL (several instances): `postgresql+psycopg://user@host:5432/db`.",
        json_schema_extra=_example("postgresql+psycopg://prepaid@127.0.0.1:5432/prepaid"),
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Encrypts tokens at rest and signs sessions, links and the webhook path. When "
        "unset, one is generated into the data directory on first run (with a warning).",
        json_schema_extra=_example("a long random string, e.g. from `openssl rand -hex 32`"),
    )
    teamleader_api_url: str = Field(
        "https://api.focus.teamleader.eu",
        description="Base URL of the Teamleader Focus API (the sandbox's URL for the demo).",
        json_schema_extra=_example("https://api.focus.teamleader.eu"),
    )
    teamleader_auth_url: str = Field(
        "https://focus.teamleader.eu",
        description="Base URL of Teamleader's OAuth2 endpoints (`/oauth2/authorize`, `/oauth2/access_token`).",
        json_schema_extra=_example("https://focus.teamleader.eu"),
    )
    teamleader_client_id: str | None = Field(
        None,
        description="Client id of the integration registered in Teamleader's Marketplace.",
        json_schema_extra=_example("0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
    )
    teamleader_client_secret: SecretStr | None = Field(
        None,
        description="Client secret of that integration.",
        json_schema_extra=_example("the secret shown on the integration's settings page"),
    )
    teamleader_redirect_uri: str = Field(
        "http://127.0.0.1:8765/callback",
        description="Redirect URI whitelisted on the integration; a local address lets "
        "`prepaid auth login` complete by itself.",
        json_schema_extra=_example("http://127.0.0.1:8765/callback"),
    )
    teamleader_api_version: str = Field(
        "2023-09-26",
        description="Value of the `X-Api-Version` header, so behaviour does not depend on when the "
        "integration was registered.",
        json_schema_extra=_example("2023-09-26"),
    )
    rate_limit_per_minute: int = Field(
        200,
        ge=1,
        description="Requests per sliding minute that this instance allows itself (Teamleader: 200).",
        json_schema_extra=_example("200"),
    )
    rate_limit_reserve: float = Field(
        0.25,
        ge=0.0,
        lt=1.0,
        description="Share of every sliding minute of the rate limit that the syncs and the write-back "
        "leave free for webhook batches and top-ups (0.25: at most 150 of 200 requests a minute for "
        "the syncs). Each process reads Teamleader's remaining count, so a `prepaid sync` from cron "
        "beside `prepaid serve` leaves it free too.",
        json_schema_extra=_example("0.25"),
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public base URL of `prepaid serve`; webhooks are registered below it.",
        json_schema_extra=_example("https://prepaid.example-agency.be"),
    )
    host: str = Field(
        "127.0.0.1",
        description="Address `prepaid serve` listens on.",
        json_schema_extra=_example("0.0.0.0"),  # noqa: S104
    )
    port: int = Field(
        8000,
        ge=1,
        le=65535,
        description="Port `prepaid serve` listens on.",
        json_schema_extra=_example("8000"),
    )
    log_format: Literal["json", "console"] | None = Field(
        None,
        description="`json` (one JSON object a line) or `console` (readable). Default: console on a "
        "terminal, json otherwise.",
        json_schema_extra=_example("json"),
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Lowest level that is logged.", json_schema_extra=_example("info")
    )
    sync_since: date | None = Field(
        None,
        description="Time tracking older than this date is not synced. Default: 365 days ago.",
        json_schema_extra=_example("2026-01-01"),
    )
    sync_window_days: int = Field(
        60,
        ge=1,
        le=3650,
        description="Days of recent time tracking that the full-window sync "
        "(PREPAID_SCHEDULE_FULL_WINDOW_SYNC) and `prepaid sync` re-scan, to find edits and deletions "
        "that no webhook reported.",
        json_schema_extra=_example("60"),
    )
    customer_lookup_seconds: float = Field(
        60.0,
        ge=1,
        le=600,
        description="Seconds that the customer lookups of one sync or webhook batch may take in all "
        "(time on tasks, tickets and milestones); subjects not answered by then stay unresolved and the "
        "next sync retries them.",
        json_schema_extra=_example("60"),
    )
    customer_link_max_age_hours: int = Field(
        24,
        ge=1,
        le=24 * 365,
        description="Hours a looked-up customer of a task, ticket or milestone is trusted before a sync "
        "asks Teamleader again (a webhook about the subject refreshes it at once).",
        json_schema_extra=_example("24"),
    )
    sync_recent_days: int = Field(
        3,
        ge=1,
        le=3650,
        description="Days of time tracking that the frequent windowed sync of `prepaid serve` "
        "(PREPAID_SCHEDULE_SYNC) re-scans: where most edits happen, at a few calls a run (never more "
        "than PREPAID_SYNC_WINDOW_DAYS).",
        json_schema_extra=_example("3"),
    )
    notify_url: str | None = Field(
        None,
        description="Incoming-webhook URL (Slack, Teams) that receives notifications as JSON.",
        json_schema_extra=_example("https://hooks.slack.com/services/T000/B000/XXXX"),
    )

    admin_user: str | None = Field(
        None,
        description="User name of the dashboard's administrator (with PREPAID_ADMIN_PASSWORD_HASH). "
        "Unset: nobody can log in to the dashboard.",
        json_schema_extra=_example("admin"),
    )
    admin_password_hash: SecretStr | None = Field(
        None,
        description="Argon2 hash of the administrator's password, as printed by "
        "`prepaid users hash-password`; the password itself is never stored.",
        json_schema_extra=_example("$argon2id$v=19$m=65536,t=3,p=4$...$..."),
    )
    api_token: SecretStr | None = Field(
        None,
        min_length=32,
        description="Token that scripts send as `Authorization: Bearer <token>` to use the JSON API "
        "without a session. Unset: the API answers only to logged-in browsers.",
        json_schema_extra=_example("a long random string, e.g. from `openssl rand -hex 32`"),
    )
    session_hours: int = Field(
        12,
        ge=1,
        le=24 * 30,
        description="Hours a dashboard login lasts before the session cookie expires.",
        json_schema_extra=_example("12"),
    )
    statement_link_days: int = Field(
        30,
        ge=1,
        le=366,
        description="Days a signed, read-only statement link sent to a customer stays valid.",
        json_schema_extra=_example("30"),
    )
    schedule_sync: str = Field(
        "*/5 * * * *",
        description="Cron schedule (UTC) of the windowed sync over the last PREPAID_SYNC_RECENT_DAYS, "
        "rules and threshold check.",
        json_schema_extra=_example("*/5 * * * *"),
    )
    schedule_full_window_sync: str = Field(
        "43 * * * *",
        description="Cron schedule (UTC) of the windowed sync over the whole PREPAID_SYNC_WINDOW_DAYS "
        "(edits and deletions of older entries that no webhook reported); off the 5-minute marks so that "
        "it does not meet the frequent windowed sync, which would make one of them skip its run.",
        json_schema_extra=_example("43 * * * *"),
    )
    schedule_full_sync: str = Field(
        "30 2 * * *",
        description="Cron schedule (UTC) of the nightly full sync (finds deleted companies and contacts).",
        json_schema_extra=_example("30 2 * * *"),
    )
    schedule_token_refresh: str = Field(
        "*/10 * * * *",
        description="Cron schedule (UTC) of the check that refreshes the access token ahead of its expiry.",
        json_schema_extra=_example("*/10 * * * *"),
    )
    schedule_period_close: str = Field(
        "2 * * * *",
        description="Cron schedule (UTC) of the check that closes budget periods that have ended.",
        json_schema_extra=_example("2 * * * *"),
    )
    worker_interval_seconds: float = Field(
        2.0,
        gt=0,
        le=300,
        description="Seconds between two runs of the webhook-inbox and top-up workers when nothing pokes them.",
        json_schema_extra=_example("2"),
    )
    apply_workers: int = Field(
        0,
        ge=0,
        le=16,
        description=(
            "Processes that share a large apply of synced time entries (50,000 or more, as in a first "
            "full sync) to the budgets; 0 means one per CPU core, at most 4."
        ),
        json_schema_extra=_example("2"),
    )
    writeback_field: str | None = Field(
        None,
        description="Custom field of Teamleader companies and contacts that shows the prepaid "
        "balances (its definition id, or its label, e.g. the seeded 'Prepaid balance'). A text "
        "field gets 'settled ... / provisional ...'; a number field gets the settled balance. "
        "Unset: nothing is written back.",
        json_schema_extra=_example("Prepaid balance"),
    )
    writeback_interval_seconds: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="Seconds between two write-back runs; the changes of one interval cost one "
        "update call per customer.",
        json_schema_extra=_example("10"),
    )
    topup_concurrency: int = Field(
        8,
        ge=1,
        le=32,
        description="Top-ups that one instance drives at once, so one slow Teamleader call does not "
        "hold the others.",
        json_schema_extra=_example("8"),
    )
    topup_call_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=120,
        description="Seconds to wait for Teamleader's answer to one invoice call (draft, book, info, "
        "list) before its outcome counts as unknown; the invoice is then looked up by its marker.",
        json_schema_extra=_example("10"),
    )
    topup_retry_seconds: float = Field(
        15.0,
        ge=0,
        le=3600,
        description="Wait before retrying a top-up whose Teamleader call failed or timed out; doubled "
        "after each failed try. Keep it above PREPAID_TOPUP_CALL_TIMEOUT_SECONDS.",
        json_schema_extra=_example("15"),
    )
    topup_retry_max_seconds: float = Field(
        120.0,
        ge=0,
        le=86400,
        description="Longest wait between two tries of a top-up, however often it failed.",
        json_schema_extra=_example("120"),
    )
    topup_resend_after_seconds: float = Field(
        60.0,
        ge=0,
        le=3600,
        description="Seconds after sending an invoice draft whose answer never came before it may be "
        "sent again, if no invoice carries its marker by then (Teamleader may still apply a call "
        "whose answer timed out).",
        json_schema_extra=_example("60"),
    )
    topup_max_attempts: int = Field(
        12,
        ge=1,
        le=1000,
        description="Tries of one step of a top-up (draft, book) without an answer from Teamleader "
        "before it is held for a person (`prepaid topups retry ID`).",
        json_schema_extra=_example("12"),
    )

    @field_validator(
        "schedule_sync",
        "schedule_full_window_sync",
        "schedule_full_sync",
        "schedule_token_refresh",
        "schedule_period_close",
    )
    @classmethod
    def _check_cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"is not a cron expression ({exc})") from None
        return value

    @field_validator("admin_password_hash")
    @classmethod
    def _check_password_hash(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("$argon2"):
            raise ValueError("is not an argon2 hash; create one with `prepaid users hash-password`")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(f"uses {url.get_backend_name()!r}; only sqlite and postgresql are supported")
        return value

    @field_validator("teamleader_api_url", "teamleader_auth_url", "public_url", "notify_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")) or len(value) < 10:
            raise ValueError("is not an http(s) URL")
        return value.rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'prepaid.db').resolve()}"

    def require_client(self) -> tuple[str, str]:
        """The integration's client id and secret, or a `ConfigError` naming what is missing."""
        if not self.teamleader_client_id:
            raise ConfigError(
                f"{ENV_PREFIX}TEAMLEADER_CLIENT_ID is not set: it is needed to talk to Teamleader; "
                f"set it to your integration's client id, e.g. {ENV_PREFIX}TEAMLEADER_CLIENT_ID="
                "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
            )
        if self.teamleader_client_secret is None:
            raise ConfigError(
                f"{ENV_PREFIX}TEAMLEADER_CLIENT_SECRET is not set: it is needed to talk to Teamleader; "
                "set it to the secret shown on your integration's settings page"
            )
        return self.teamleader_client_id, self.teamleader_client_secret.get_secret_value()

    def secret_key_bytes(self) -> bytes:
        """The secret key, generated into the data directory on first use when unset."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            from connector.logging import get_logger

            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
            get_logger(__name__).warning(
                "secret_key.generated",
                path=str(path),
                hint=f"set {ENV_PREFIX}SECRET_KEY to keep tokens readable if the data directory moves",
            )
        return path.read_text().strip().encode()

    def derived_key(self, purpose: str) -> bytes:
        """A key for one purpose (token encryption, cookies, links) derived from the secret key."""
        digest = hashlib.sha256(self.secret_key_bytes() + b"\x00" + purpose.encode()).digest()
        return base64.urlsafe_b64encode(digest)


def _describe(error: dict[str, Any]) -> str:
    field = str(error["loc"][0]) if error["loc"] else "?"
    variable = f"{ENV_PREFIX}{field.upper()}"
    value = error.get("input")
    info = Settings.model_fields.get(field)
    extra = info.json_schema_extra if info is not None else None
    example = extra.get("example") if isinstance(extra, dict) else None
    problem = str(error["msg"]).removeprefix("Value error, ")
    secret = info is not None and "SecretStr" in str(info.annotation)
    shown = "" if isinstance(value, dict) or secret else f" {value!r}"
    line = f"{variable}={shown.strip()} {problem}" if shown else f"{variable} (value hidden): {problem}"
    if example is not None:
        line += f"; for example {variable}={example}"
    return line


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment and `.env`, or raise one readable `ConfigError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(dict(exc.errors()[0]))) from None
