"""Leases and run slots: how several processes agree on who acts, on SQLite and PostgreSQL alike.

A lease is held by one holder until it expires; taking or renewing it is one atomic statement,
and each take increments a fencing number that the holder can write beside its side effects.
A run slot is claimed by inserting (job, slot): the primary key decides the single winner.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from connector.storage.tables.ops import job_run, lease

__all__ = ["claim_run_slot", "finish_run_slot", "process_lock", "release_lease", "try_take_lease"]


def try_take_lease(conn: Connection, name: str, holder: str, ttl: timedelta, now: datetime) -> int | None:
    """Take or renew the lease `name` for `holder`; the fencing number, or None when held by another."""
    until = now + ttl
    taken = conn.execute(
        update(lease)
        .where(lease.c.name == name, or_(lease.c.until < now, lease.c.holder == holder))
        .values(holder=holder, until=until, fencing=lease.c.fencing + 1)
        .returning(lease.c.fencing)
    ).scalar_one_or_none()
    if taken is not None:
        return int(taken)
    if conn.execute(select(lease.c.name).where(lease.c.name == name)).first() is not None:
        return None
    try:
        with conn.begin_nested():
            conn.execute(insert(lease).values(name=name, holder=holder, until=until, fencing=1))
    except IntegrityError:
        return None
    return 1


def release_lease(conn: Connection, name: str, holder: str) -> None:
    """Give the lease up early so that another holder need not wait for it to expire."""
    conn.execute(
        update(lease)
        .where(and_(lease.c.name == name, lease.c.holder == holder))
        .values(until=datetime(1970, 1, 1, tzinfo=UTC))
    )


def claim_run_slot(conn: Connection, job: str, slot: str, owner: str, now: datetime) -> bool:
    """Claim one firing of a scheduled job; False when another instance already has it."""
    try:
        with conn.begin_nested():
            conn.execute(insert(job_run).values(job=job, slot=slot, owner=owner, started_at=now))
    except IntegrityError:
        return False
    return True


def finish_run_slot(
    conn: Connection, job: str, slot: str, outcome: str, detail: str | None = None, *, now: datetime
) -> None:
    """Record how a claimed firing ended."""
    conn.execute(
        update(job_run)
        .where(job_run.c.job == job, job_run.c.slot == slot)
        .values(finished_at=now, outcome=outcome, detail=(detail or "")[:2000] or None)
    )


@contextmanager
def process_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Hold a named lock for as long as this block runs; yields False when another process holds it.

    The lock dies with the process that holds it (a PostgreSQL session advisory lock, or an
    flock on a file beside the SQLite database), so a killed sync never blocks the next one the
    way an expiring lease would.
    """
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
        return
    database = engine.url.database or ""
    path = Path(f"{database}.{name}.lock") if database and database != ":memory:" else None
    if path is None:
        yield True
        return
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
