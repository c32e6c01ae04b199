"""The outbox table's operations: plan a top-up, claim due ones, and record every state change.

`plan_topup` runs inside the ledger's transaction; the partial unique index, not this code,
decides that a budget has at most one open top-up of a kind (`INSERT ... ON CONFLICT DO NOTHING`
on both backends, so the caller's transaction is never aborted). A worker claims rows with a
lease: PostgreSQL picks candidates with `FOR UPDATE SKIP LOCKED`, and on both backends a
conditional UPDATE on the lease is what grants the claim. `transition` changes a row only from
the state the caller last saw and only while it still owns the row, and logs a `topup_event`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from connector.invoicing.model import OPEN_STATUSES, Topup, TopupKind, TopupStatus
from connector.storage.tables.invoicing import topup, topup_event

__all__ = [
    "MARKER_PREFIX",
    "Superseded",
    "claim_due",
    "consecutive_failures",
    "find_by_invoice",
    "invoiced_this_month",
    "list_topups",
    "load",
    "new_marker",
    "plan_topup",
    "record_event",
    "transition",
]

MARKER_PREFIX = "PP-"
_MARKER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class Superseded(Exception):
    """The row changed under us (another worker, a webhook, a person): stop driving it."""


def new_marker() -> str:
    """`PP-` and 10 unambiguous characters: short enough for a PO number, unique by constraint."""
    return MARKER_PREFIX + "".join(secrets.choice(_MARKER_ALPHABET) for _ in range(10))


def plan_topup(
    conn: Connection,
    *,
    budget_id: str,
    amount_cents: int,
    quantity_seconds: int | None,
    reason: str,
    kind: str = TopupKind.TOPUP,
    period_key: str | None = None,
    now: datetime,
) -> str | None:
    """Record one planned top-up in the caller's transaction; None when one is already open."""
    if amount_cents <= 0:
        raise ValueError(f"a top-up of {amount_cents} cents invoices nothing; plan a positive amount")
    TopupKind(kind)
    topup_id = str(uuid.uuid4())
    values: dict[str, Any] = {
        "id": topup_id,
        "budget_id": budget_id,
        "kind": str(kind),
        "period_key": period_key,
        "status": TopupStatus.PLANNED.value,
        "reason": reason[:500],
        "amount_cents": amount_cents,
        "quantity_seconds": quantity_seconds,
        "marker": new_marker(),
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(topup).values(**values).on_conflict_do_nothing().returning(topup.c.id)
    inserted = conn.execute(statement).scalar_one_or_none()
    if inserted is None:
        return None
    record_event(conn, topup_id, None, TopupStatus.PLANNED, actor="ledger", now=now, detail=reason)
    return topup_id


def record_event(
    conn: Connection,
    topup_id: str,
    from_status: TopupStatus | None,
    to_status: TopupStatus,
    *,
    actor: str,
    now: datetime,
    detail: str | None = None,
) -> None:
    conn.execute(
        insert(topup_event).values(
            topup_id=topup_id,
            at=now,
            from_status=None if from_status is None else from_status.value,
            to_status=to_status.value,
            actor=actor[:200],
            detail=detail,
        )
    )


def load(conn: Connection, topup_id: str) -> Topup | None:
    row = conn.execute(select(topup).where(topup.c.id == topup_id)).mappings().first()
    return None if row is None else Topup.from_row(row)


def find_by_invoice(conn: Connection, invoice_ids: Sequence[str]) -> list[Topup]:
    rows = conn.execute(select(topup).where(topup.c.invoice_id.in_(list(invoice_ids)))).mappings().all()
    return [Topup.from_row(row) for row in rows]


def _claimable(owner: str, now: datetime) -> Any:
    return and_(
        topup.c.status.in_([status.value for status in OPEN_STATUSES]),
        topup.c.next_attempt_at.is_not(None),
        topup.c.next_attempt_at <= now,
        or_(topup.c.lease_until.is_(None), topup.c.lease_until < now, topup.c.owner == owner),
    )


def claim_due(
    conn: Connection,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    exclude: Collection[str] = (),
) -> list[str]:
    """Take the lease on up to `limit` due top-ups; the ids this owner now holds.

    `exclude` names the top-ups this owner is driving right now (in its other threads): a row it
    already leases is claimable by it again, so the caller must leave those out or one top-up
    would be driven twice at once.
    """
    candidates = (
        select(topup.c.id).where(_claimable(owner, now)).order_by(topup.c.next_attempt_at).limit(limit)
    )
    if exclude:
        candidates = candidates.where(topup.c.id.not_in(list(exclude)))
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(conn.execute(candidates).scalars())
    claimed: list[str] = []
    for topup_id in ids:
        result = conn.execute(
            update(topup)
            .where(topup.c.id == topup_id, _claimable(owner, now))
            .values(owner=owner, lease_until=now + lease)
        )
        if result.rowcount == 1:
            claimed.append(topup_id)
    return claimed


def transition(
    conn: Connection,
    current: Topup,
    to_status: TopupStatus,
    *,
    actor: str,
    now: datetime,
    owner: str | None = None,
    detail: str | None = None,
    **values: Any,
) -> Topup:
    """Move `current` to `to_status` (and set `values`) if nobody changed it since it was read.

    With `owner`, the row must still be leased to that owner: a worker whose lease was taken over
    gets `Superseded` instead of overwriting the new owner's progress.
    """
    conditions = [topup.c.id == current.id, topup.c.status == current.status.value]
    if owner is not None:
        conditions.append(topup.c.owner == owner)
    result = conn.execute(
        update(topup).where(*conditions).values(status=to_status.value, updated_at=now, **values)
    )
    if result.rowcount != 1:
        raise Superseded(f"top-up {current.id} is no longer {current.status.value}")
    if to_status is not current.status:
        record_event(conn, current.id, current.status, to_status, actor=actor, now=now, detail=detail)
    changed = load(conn, current.id)
    assert changed is not None
    return changed


def invoiced_this_month(
    conn: Connection, budget_id: str, since: datetime, *, hours: bool, exclude: str | None = None
) -> int:
    """Automatic top-ups created since `since` (the month's start) that were not abandoned, in the
    budget's measure: seconds for an hours budget, cents otherwise."""
    column = topup.c.quantity_seconds if hours else topup.c.amount_cents
    query = select(func.coalesce(func.sum(column), 0)).where(
        topup.c.budget_id == budget_id,
        topup.c.kind == TopupKind.TOPUP.value,
        topup.c.created_at >= since,
        topup.c.status.not_in([TopupStatus.CANCELLED.value, TopupStatus.FAILED.value]),
    )
    if exclude is not None:
        query = query.where(topup.c.id != exclude)
    return int(conn.execute(query).scalar_one())


def consecutive_failures(conn: Connection, budget_id: str) -> int:
    """How many of the budget's latest automatic top-ups failed in a row (cancelled ones skipped)."""
    statuses = conn.execute(
        select(topup.c.status)
        .where(
            topup.c.budget_id == budget_id,
            topup.c.kind == TopupKind.TOPUP.value,
            topup.c.status.in_(
                [TopupStatus.FAILED.value, TopupStatus.BOOKED.value, TopupStatus.CREDITED.value]
            ),
        )
        .order_by(topup.c.created_at.desc())
        .limit(100)
    ).scalars()
    count = 0
    for status in statuses:
        if status != TopupStatus.FAILED.value:
            break
        count += 1
    return count


def list_topups(
    conn: Connection, *, budget_id: str | None = None, status: str | None = None, limit: int = 500
) -> list[Topup]:
    query = select(topup).order_by(topup.c.created_at.desc()).limit(limit)
    if budget_id is not None:
        query = query.where(topup.c.budget_id == budget_id)
    if status is not None:
        query = query.where(topup.c.status == status)
    return [Topup.from_row(row) for row in conn.execute(query).mappings()]
