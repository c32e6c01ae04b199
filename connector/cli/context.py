"""The container that commands share: built on first use, closed when the command ends."""

from __future__ import annotations

import atexit

from connector.bootstrap import Container, bootstrap

__all__ = ["get_container"]

_container: Container | None = None


def get_container(*, migrate: bool = True) -> Container:
    """The process's container (settings, database, services), built once."""
    global _container
    if _container is None:
        _container = bootstrap(migrate=migrate)
        atexit.register(_container.close)
    return _container
