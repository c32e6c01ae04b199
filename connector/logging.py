"""Logging: structlog for our events, the standard library's loggers routed through it, secrets removed.

One call, `configure_logging()`, sets it up for the whole process: readable lines on a terminal,
one JSON object a line otherwise. The `redact_secrets` processor runs on every event (ours and
the libraries'), so a token or secret never reaches a log line, whatever the caller passed.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

import structlog

__all__ = [
    "LogFormat",
    "LoggingConfig",
    "apply_logging_config",
    "configure_logging",
    "get_logger",
    "logging_config",
    "redact_secrets",
    "register_secret",
]

LogFormat = Literal["json", "console"]

_SECRET_KEYS = re.compile(r"token|secret|authorization|password|passwd|cookie|refresh|^code$|api_key", re.I)
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_QUERY_SECRETS = re.compile(r"(?i)((?:code|token|access_token|refresh_token|state|client_secret)=)[^&\s\"']+")
_REDACTED = "[redacted]"
_known_secrets: set[str] = set()


@dataclass(frozen=True)
class LoggingConfig:
    """What a spawned worker process needs to log exactly as its parent does."""

    log_format: LogFormat
    level: str
    secrets: frozenset[str]


_current: tuple[LogFormat, str] | None = None


def register_secret(value: str | None) -> None:
    """Remember a secret value (a token, the webhook path) so that it is masked wherever it appears."""
    if value and len(value) >= 8:
        _known_secrets.add(value)


def _scrub(text: str) -> str:
    text = _BEARER.sub(r"\1" + _REDACTED, text)
    text = _QUERY_SECRETS.sub(r"\1" + _REDACTED, text)
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, _REDACTED)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _scrub(value)
    if isinstance(value, dict):
        return {k: (_REDACTED if _SECRET_KEYS.search(str(k)) else _clean(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def redact_secrets(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Mask values under secret-looking keys, bearer tokens, secrets in URLs and registered secrets."""
    for key, value in list(event_dict.items()):
        if _SECRET_KEYS.search(key) and key not in ("event",):
            event_dict[key] = _REDACTED
        else:
            event_dict[key] = _clean(value)
    return event_dict


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]


def configure_logging(
    log_format: LogFormat | None = None,
    level: str = "info",
    stream: Any = None,
) -> None:
    """Route structlog and standard-library logging to `stream` (stderr) in one format."""
    global _current
    out = stream or sys.stderr
    if log_format is None:
        log_format = "console" if getattr(out, "isatty", lambda: False)() else "json"
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=getattr(out, "isatty", lambda: False)())
    )
    shared = _shared_processors()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in _quiet_loggers():
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    _current = (log_format, level)


def logging_config() -> LoggingConfig | None:
    """This process's logging set-up (None until `configure_logging` ran), for worker processes."""
    if _current is None:
        return None
    return LoggingConfig(_current[0], _current[1], frozenset(_known_secrets))


def apply_logging_config(config: LoggingConfig) -> None:
    """Set up a worker process's logging from its parent's `logging_config()`; it logs to the
    stderr it inherited, and masks the secrets its parent knew."""
    _known_secrets.update(config.secrets)
    configure_logging(config.log_format, config.level)


def _quiet_loggers() -> Iterable[str]:
    return ("httpx", "httpcore", "apscheduler", "uvicorn.access", "alembic.runtime.migration")


def get_logger(name: str) -> Any:
    """A structlog logger bound to `name`."""
    return structlog.get_logger(name)
