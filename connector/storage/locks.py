"""Leases and run slots: how several processes agree on who acts, on SQLite and PostgreSQL alike.

A lease is held by one holder until it expires; taking or renewing it is one atomic statement,
and each take increments a fencing number that the holder can write beside its side effects.
A run slot is claimed by inserting (job, slot): the primary key decides the single winner.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from connector.storage.tables.ops import job_run, lease

__all__ = ["claim_run_slot", "finish_run_slot", "release_lease", "try_take_lease"]


def try_take_lease(
    conn: Connection, name: str, holder: str, ttl: timedelta, now: datetime | None = None
) -> int | None:
    """Take or renew the lease `name` for `holder`; the fencing number, or None when held by another."""
    now = now or datetime.now(UTC)
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


def claim_run_slot(conn: Connection, job: str, slot: str, owner: str, now: datetime | None = None) -> bool:
    """Claim one firing of a scheduled job; False when another instance already has it."""
    try:
        with conn.begin_nested():
            conn.execute(
                insert(job_run).values(job=job, slot=slot, owner=owner, started_at=now or datetime.now(UTC))
            )
    except IntegrityError:
        return False
    return True


def finish_run_slot(conn: Connection, job: str, slot: str, outcome: str, detail: str | None = None) -> None:
    """Record how a claimed firing ended."""
    conn.execute(
        update(job_run)
        .where(job_run.c.job == job, job_run.c.slot == slot)
        .values(finished_at=datetime.now(UTC), outcome=outcome, detail=(detail or "")[:2000] or None)
    )
