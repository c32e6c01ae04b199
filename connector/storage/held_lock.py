"""A named lock across threads and processes that is not a database transaction, waited for.

For work that must run one at a time everywhere and makes a network call while it holds the lock
(the token refresh): a row lock or an open transaction would hold the database for as long as the
remote side takes, and a thread that already holds the SQLite write lock would wait for itself.
The lock is a PostgreSQL session advisory lock (taken on a connection whose transaction is
committed at once, so nothing stays open in the database) or an `flock` on a file beside the
SQLite database; both die with their process. Unlike `locks.process_lock`, which gives up at once,
this one waits, polling on the injected clock, up to `timeout` seconds.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text

from connector.clock import Clock
from connector.errors import PrepaidError

__all__ = ["LockWaitExpired", "held_lock"]

_POLL_SECONDS = 0.02


class LockWaitExpired(PrepaidError):
    """Another process held the lock for longer than the caller would wait."""

    def __init__(self, name: str, timeout: float) -> None:
        self.name = name
        super().__init__(
            f"another prepaid process has held the {name!r} lock for more than {timeout:.0f} s; "
            "try again, and if this repeats look for a hung prepaid process"
        )


@contextmanager
def held_lock(engine: Engine, name: str, *, clock: Clock, timeout: float) -> Iterator[None]:
    """Hold the lock `name` for as long as the block runs; waits up to `timeout` seconds for it."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name, clock, timeout):
            yield
        return
    database = engine.url.database or ""
    if not database or database == ":memory:":
        yield  # one process, and the caller's thread lock already serialises its threads
        return
    with _flocked(Path(f"{database}.{name}.lock"), name, clock, timeout):
        yield


@contextmanager
def _advisory(engine: Engine, name: str, clock: Clock, timeout: float) -> Iterator[None]:
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with engine.connect() as conn:
        _wait(lambda: _try_advisory(conn, key), name, clock, timeout)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


def _try_advisory(conn: Connection, key: int) -> bool:
    got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
    conn.commit()
    return got


@contextmanager
def _flocked(path: Path, name: str, clock: Clock, timeout: float) -> Iterator[None]:
    with path.open("a") as handle:
        _wait(lambda: _try_flock(handle), name, clock, timeout)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _try_flock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait(attempt: Callable[[], bool], name: str, clock: Clock, timeout: float) -> None:
    deadline = clock.monotonic() + timeout
    while not attempt():
        if clock.monotonic() >= deadline:
            raise LockWaitExpired(name, timeout)
        clock.sleep(_POLL_SECONDS)
