"""Time entries that Teamleader settled itself (invoiced, or through its own prepaid), listed read-only.

Such an entry is never subtracted (`connector.billing.ineligibility` answers `INVOICED` or
`PREPAID`), so the budgets service stores no allocation for it and `reports.entry_rows`, which
reads allocations, never shows it. A person choosing what to subtract must still see it, and why
its hours are not in the budget. The listing is derived, never stored: one query on the synced
time entries joined to the budgets of their customer (the index on time_entry (customer_type,
customer_id, started_on) serves the join), narrowed in SQL to entries Teamleader billed, within
a day of the budget's dates and without a live allocation there; the domain's own
`ineligibility` then decides each row, so the list agrees with the subtraction rules exactly
(the budget's time zone, its migration date) and no rule is written twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)

from connector.billing import Budget, Ineligible, TimeEntry, ineligibility
from connector.budgets.budget_queries import load_budgets
from connector.budgets.entry_codec import ENTRY_FIELDS, entry_from_values
from connector.budgets.reports import INVOICED, EntryRow, entry_rows, person_name
from connector.storage.tables.budgets import budget, entry_allocation
from connector.storage.tables.sync import time_entry, tl_user, work_type

__all__ = ["invoiced_rows", "listed_entries", "settled_in_teamleader", "settled_note"]


_SETTLED = (Ineligible.INVOICED, Ineligible.PREPAID)
_ENTRY_COLUMNS = [time_entry.c[name] for name in ENTRY_FIELDS]
_PAGE_MARGIN = 50


def settled_in_teamleader(b: Budget, entry: TimeEntry) -> Ineligible | None:
    """`INVOICED` or `PREPAID` when that is why `entry` is not in `b`; None for any other answer."""
    why = ineligibility(b, entry, for_new=False)
    return why if why in _SETTLED else None


def settled_note(entry: TimeEntry, why: Ineligible) -> str:
    """What people read: 'invoiced in Teamleader (invoice 2026/0042)' when the invoice is known."""
    if why is Ineligible.INVOICED and entry.billing_invoice_id:
        return f"{why.value} (invoice {entry.billing_invoice_id})"
    return why.value


def _shifted(day: ColumnElement[date], days: int, dialect: str) -> ColumnElement[Any]:
    """`day` moved by whole days in SQL (date arithmetic is spelled differently per backend)."""
    if dialect == "postgresql":
        return day + literal_column(str(days))
    return func.date(day, f"{days:+d} day")


def _query(
    dialect: str,
    budget_id: str | None,
    customer: tuple[str, str] | None,
    entry_ids: Sequence[str] | None,
) -> Select[Any]:
    e, a = time_entry, entry_allocation
    person = person_name()
    # Written into the SQL, not bound: with a bound state, PostgreSQL's generic plan for the
    # prepared statement guessed one live allocation and compared every row with all of them
    # (7 s for 500 rows over 200,000 entries, against 0.1 s).
    released = literal("released", literal_execute=True)
    held = exists().where(a.c.budget_id == budget.c.id, a.c.time_entry_id == e.c.id, a.c.state != released)
    query = (
        select(budget.c.id, *_ENTRY_COLUMNS, person, work_type.c.name)
        .select_from(budget)
        .join(e, and_(e.c.customer_type == budget.c.customer_type, e.c.customer_id == budget.c.customer_id))
        .outerjoin(tl_user, tl_user.c.id == e.c.user_id)
        .outerjoin(work_type, work_type.c.id == e.c.work_type_id)
        .where(
            e.c.billing_type.is_not(None),
            e.c.deleted_at.is_(None),
            e.c.started_on >= _shifted(budget.c.start_on, -1, dialect),
            or_(budget.c.end_on.is_(None), e.c.started_on <= _shifted(budget.c.end_on, 1, dialect)),
            ~held,
        )
        .order_by(e.c.started_on.desc(), e.c.id.desc(), budget.c.id)
    )
    if budget_id is not None:
        query = query.where(budget.c.id == budget_id)
    if customer is not None:
        query = query.where(budget.c.customer_type == customer[0], budget.c.customer_id == customer[1])
    if entry_ids is not None:
        query = query.where(e.c.id.in_(list(entry_ids)))
    return query


def _row(b: Budget, entry: TimeEntry, why: Ineligible, person: str | None, work: str | None) -> EntryRow:
    return EntryRow(
        budget_id=b.id,
        entry_id=entry.id,
        state=INVOICED,
        day=entry.started_on,
        person=person or "",
        work_type=work or "",
        description=entry.description,
        duration_seconds=entry.duration_seconds,
        rounded_seconds=None,
        rate_cents=None,
        amount_cents=None,
        flags=(),
        needs_rate=False,
        note=settled_note(entry, why),
        customer=str(entry.customer),
        deleted=False,
        billing_type=None if entry.billing_type is None else entry.billing_type.value,
        invoice_id=entry.billing_invoice_id,
    )


def invoiced_rows(
    conn: Connection,
    *,
    budget_id: str | None = None,
    customer: tuple[str, str] | None = None,
    entry_ids: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[EntryRow]:
    """Entries each budget leaves out because Teamleader settled them, newest first.

    SQL narrows to the budget's dates give or take a day (the entry's day is taken in the
    budget's time zone); the rows the rules then turn away are rare, so a page a little larger
    than `limit` is read, and the next one only if that was not enough.
    """
    query = _query(conn.dialect.name, budget_id, customer, entry_ids)
    budgets: dict[str, Budget] = {}
    found: list[EntryRow] = []
    offset, page = 0, None if limit is None else limit + _PAGE_MARGIN
    while True:
        paged = query if page is None else query.limit(page).offset(offset)
        rows = conn.execute(paged).all()
        missing = {r[0] for r in rows} - budgets.keys()
        if missing:
            budgets.update((b.id, b) for b in load_budgets(conn, ids=missing))
        for r in rows:
            b, entry = budgets.get(r[0]), entry_from_values(r[1 : 1 + len(_ENTRY_COLUMNS)])
            why = None if b is None else settled_in_teamleader(b, entry)
            if b is not None and why is not None:
                found.append(_row(b, entry, why, r[-2], r[-1]))
        if page is None or len(rows) < page or (limit is not None and len(found) >= limit):
            return found if limit is None else found[:limit]
        offset += page


def listed_entries(
    conn: Connection,
    *,
    budget_id: str | None = None,
    customer: tuple[str, str] | None = None,
    state: str | None = None,
    flagged: bool = False,
    entry_ids: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[EntryRow]:
    """Every entry a person sees for a budget: its allocations (pending, subtracted, excluded)
    and the entries Teamleader settled (state `invoiced`), newest first."""
    if state == INVOICED:
        if flagged:
            return []
        return invoiced_rows(conn, budget_id=budget_id, customer=customer, entry_ids=entry_ids, limit=limit)
    held = entry_rows(
        conn,
        budget_id=budget_id,
        customer=customer,
        state=state,
        flagged=flagged,
        entry_ids=entry_ids,
        limit=limit,
    )
    if state is not None or flagged:
        return held
    settled = invoiced_rows(conn, budget_id=budget_id, customer=customer, entry_ids=entry_ids, limit=limit)
    both = sorted([*held, *settled], key=lambda r: (r.day, r.entry_id), reverse=True)
    return both if limit is None else both[:limit]
