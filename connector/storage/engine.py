"""The database engine, set up so that SQLite and PostgreSQL keep the same guarantees.

SQLite: WAL (readers never block the writer), foreign keys on, a 30 s busy timeout, a page cache
of up to 64 MB per connection (the 2 MB default spills a large write transaction to the WAL and
reads it back), and every transaction begins IMMEDIATE. Python's sqlite3 otherwise defers BEGIN
until the first write, so a read-then-write transaction does not hold the write lock and
concurrent processes lose updates (measured in ../shared/ENGINEERING.md §6.1). The one exception
is `snapshot`: a read-only transaction that decides nothing by itself (its results are checked by
compare-and-swap when written), so it takes a plain BEGIN and never waits for, or holds up, a
writer. PostgreSQL goes through psycopg 3 with the same code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["create_db_engine", "is_sqlite", "snapshot"]

_SNAPSHOT = "prepaid_snapshot"


def is_sqlite(engine: Engine) -> bool:
    """True when the engine talks to SQLite (which needs its own locking recipes)."""
    return engine.dialect.name == "sqlite"


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_SNAPSHOT) else "BEGIN IMMEDIATE")


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction over one consistent state that takes no write lock.

    For reads whose conclusions are written later in another transaction that re-checks them
    (compare-and-swap on a version, a unique key): on SQLite many readers then work beside one
    writer instead of queueing for its lock. Writing through this connection is a mistake.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_SNAPSHOT: True})
        with conn.begin():
            yield conn


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; for SQLite the parent directory is created and the pragmas applied."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)
