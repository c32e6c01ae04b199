"""Storage: SQLAlchemy Core tables, the engine for SQLite and PostgreSQL, and Alembic migrations."""

from __future__ import annotations

from connector.storage.engine import create_db_engine, is_sqlite, snapshot
from connector.storage.migrate import current_revision, head_revision, upgrade
from connector.storage.tables import metadata

__all__ = [
    "create_db_engine",
    "current_revision",
    "head_revision",
    "is_sqlite",
    "metadata",
    "snapshot",
    "upgrade",
]
