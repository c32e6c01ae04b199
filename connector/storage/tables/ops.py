"""Coordination between processes: leases (one holder at a time) and scheduled-job run slots.

A lease row names its holder until a time; taking it is one atomic UPDATE/INSERT, so it works
the same on SQLite and PostgreSQL. A run slot (job, slot) is claimed by inserting it: the primary
key lets exactly one instance run each scheduled firing.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table

from connector.storage.tables.base import UTCDateTime, metadata

__all__ = ["job_run", "lease"]

lease = Table(
    "lease",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("until", UTCDateTime, nullable=False),
    Column("fencing", BigInteger, nullable=False, default=0),
)

job_run = Table(
    "job_run",
    metadata,
    Column("job", String(100), primary_key=True),
    Column("slot", String(64), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("outcome", String(32)),
    Column("detail", String(2000)),
)
