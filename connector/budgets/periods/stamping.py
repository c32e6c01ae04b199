"""Stamping ledger lines with the period they count in, as the ledger writer writes them.

An entry's line goes to the period of the entry's local start while that period is open, and to
the current period once it is closed, with a reason that names the closed period; so a closed
period's balance never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, select

from connector.billing import Budget, TimeEntry, nth_period
from connector.budgets.periods.placement import index_at, index_of_day, period_label, renews
from connector.budgets.periods.queries import last_closed
from connector.storage.tables.budgets import budget as budget_table

__all__ = ["stamp_periods"]


class _Planned(Protocol):
    @property
    def budget(self) -> Budget: ...

    @property
    def entry(self) -> TimeEntry: ...


def stamp_periods(conn: Connection, planned: Sequence[_Planned], rows: list[dict[str, Any]]) -> None:
    """Set `period_index` on line rows about to be written; nothing to do when no budget renews.

    Takes a shared lock on the renewing budgets' rows (PostgreSQL), so a line is never stamped
    into a period that a concurrent close is closing: the close holds the row exclusively.
    """
    renewing = {p.budget.id: p.budget for p in planned if renews(p.budget)}
    if not renewing or not rows:
        return
    conn.execute(
        select(budget_table.c.id)
        .where(budget_table.c.id.in_(sorted(renewing)))
        .order_by(budget_table.c.id)
        .with_for_update(read=True)
    )
    closed = last_closed(conn, list(renewing))
    entries = {(p.budget.id, p.entry.id): p.entry for p in planned if p.budget.id in renewing}
    for row in rows:
        b = renewing.get(row["budget_id"])
        entry = entries.get((row["budget_id"], row["time_entry_id"]))
        if b is None or entry is None:
            row["period_index"] = None
            continue
        own = index_of_day(b, entry.local_date(b.zone))
        last = closed.get(b.id)
        if last is None or own > last:
            row["period_index"] = own
            continue
        row["period_index"] = max(index_at(b, row["at"]), last + 1)
        label = period_label(b, nth_period(b, own))
        row["reason"] = f"{row['reason']} (entry of {label}, a closed period)".strip()
        row["details"] = {**(row["details"] or {}), "closed_period": label}
