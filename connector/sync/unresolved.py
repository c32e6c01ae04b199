"""The time entries whose customer is not known yet: a lookup failed or ran out of time.

They belong to no budget until the next sync (windowed or full) looks their subject up again and
hands them on. `prepaid entries list --state unresolved` and the dashboard's overview show them,
so time that should be billed is never lost silently during an outage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, select

from connector.storage.tables.sync import time_entry, tl_user, work_type
from connector.sync.customers import count_unresolved, is_unresolved

__all__ = ["UnresolvedEntry", "count_unresolved", "unresolved_entries"]


@dataclass(frozen=True, slots=True)
class UnresolvedEntry:
    """A live time entry without a customer yet, with the subject whose lookup is retried."""

    entry_id: str
    day: date
    person: str
    work_type: str
    description: str
    duration_seconds: int
    subject_type: str | None
    subject_id: str | None
    billing_type: str | None
    invoice_id: str | None


def unresolved_entries(conn: Connection, *, limit: int) -> list[UnresolvedEntry]:
    """Newest first, at most `limit`."""
    person = func.trim(func.coalesce(tl_user.c.first_name, "") + " " + func.coalesce(tl_user.c.last_name, ""))
    query = (
        select(
            time_entry.c.id,
            time_entry.c.started_on,
            person,
            work_type.c.name,
            time_entry.c.description,
            time_entry.c.duration_seconds,
            time_entry.c.subject_type,
            time_entry.c.subject_id,
            time_entry.c.billing_type,
            time_entry.c.billing_invoice_id,
        )
        .select_from(
            time_entry.outerjoin(tl_user, tl_user.c.id == time_entry.c.user_id).outerjoin(
                work_type, work_type.c.id == time_entry.c.work_type_id
            )
        )
        .where(is_unresolved(), time_entry.c.deleted_at.is_(None))
        .order_by(time_entry.c.started_on.desc(), time_entry.c.id)
        .limit(limit)
    )
    return [
        UnresolvedEntry(
            entry_id=str(r[0]),
            day=r[1],
            person=r[2] or "",
            work_type=r[3] or "",
            description=r[4] or "",
            duration_seconds=int(r[5]),
            subject_type=r[6],
            subject_id=r[7],
            billing_type=r[8],
            invoice_id=r[9],
        )
        for r in conn.execute(query)
    ]
