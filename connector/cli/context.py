"""The container that commands share: built on first use, closed when the command ends.

A command that only reads (`read_only=True`) never creates a database: when the SQLite file it
would read does not exist yet, it stops with where it looked and where the demo's data is,
instead of quietly creating an empty database (often one in the wrong directory).
"""

from __future__ import annotations

import atexit

from connector.bootstrap import Container, bootstrap
from connector.cli.hints import NoDatabaseYet, missing_database
from connector.settings import load_settings

__all__ = ["get_container"]

_container: Container | None = None


def get_container(*, migrate: bool = True, read_only: bool = False) -> Container:
    """The process's container (settings, database, services), built once; `read_only` refuses
    to build it on a database that does not exist yet (`NoDatabaseYet`)."""
    global _container
    if _container is None:
        settings = load_settings()
        if read_only:
            missing = missing_database(settings)
            if missing is not None:
                raise NoDatabaseYet(settings, missing)
        _container = bootstrap(settings, migrate=migrate)
        atexit.register(_container.close)
    return _container
