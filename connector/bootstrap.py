"""The composition root: builds settings, logging, the database engine and the services from them.

The command line, `prepaid serve` and the tests all go through `bootstrap()`, so each runs the
same wiring; tests pass their own `Settings` (and fakes) instead of patching globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from connector.logging import configure_logging, register_secret
from connector.settings import Settings, load_settings
from connector.storage import create_db_engine, current_revision, head_revision, upgrade

__all__ = ["Container", "bootstrap"]


@dataclass
class Container:
    """Everything a command or the web app needs, built once per process."""

    settings: Settings
    engine: Engine
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Release connections (idempotent)."""
        if not self._closed:
            self.engine.dispose()
            self._closed = True

    def schema_is_current(self) -> bool:
        """True when the database has every migration this code knows."""
        return current_revision(self.engine) == head_revision()


def bootstrap(
    settings: Settings | None = None,
    *,
    migrate: bool = True,
    configure_logs: bool = True,
) -> Container:
    """Build the container; by default apply pending migrations (as `serve` and the demo need)."""
    settings = settings or load_settings()
    if configure_logs:
        configure_logging(settings.log_format, settings.log_level)
    if settings.teamleader_client_secret is not None:
        register_secret(settings.teamleader_client_secret.get_secret_value())
    if settings.secret_key is not None:
        register_secret(settings.secret_key.get_secret_value())
    engine = create_db_engine(settings.resolved_database_url)
    if migrate:
        upgrade(engine)
    return Container(settings=settings, engine=engine)
