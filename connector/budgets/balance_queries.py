"""Balances per budget: the settled sum of its ledger lines, kept cheap by checkpoints, and its pending sum.

Balances stay sums of ledger lines computed by the database, never a stored figure. Because
lines are immutable and append-only, the sum of a budget's lines up to a line id never changes,
so `ledger_checkpoint` keeps that subtotal per budget and `balances` adds, in the same query,
the lines appended after it. A plain `GROUP BY` over the covering index costs every line of every
budget (130 ms for 700,000 lines with the pending sums); a better index cannot avoid that scan,
while the checkpoint makes a listing cost the budgets plus the recent tail. The subtotal can be
recomputed from the lines at any time (`refresh_checkpoints` does, idempotently), and a property
test checks that the checkpointed sum equals the plain sum over random appends and refreshes.
Pending entries are not lines: `pending_values` sums what their allocations hold, for the
provisional balance. Everything takes an open `Connection`, so the caller decides the transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, delete, func, insert, select, union_all

from connector.storage.tables.budgets import entry_allocation, ledger_checkpoint, ledger_line

__all__ = [
    "CHECKPOINT_LAG",
    "balances",
    "checkpoint_if_behind",
    "pending_values",
    "refresh_checkpoints",
]

CHECKPOINT_LAG = 10_000


def _line_sums(budget_ids: Collection[str] | None) -> Select[Any]:
    """Per budget: its checkpoint's subtotal plus every line after the checkpoint, in one query.

    The tail is read by line id (the primary key) from the lowest checkpoint on, so it costs the
    lines appended since the last refresh, not the whole ledger. A budget without a checkpoint
    has no line at or below that id (a refresh gives every budget with lines a checkpoint).
    """
    c, line = ledger_checkpoint, ledger_line
    watermark = select(func.coalesce(func.min(c.c.upto_line_id), 0)).scalar_subquery()
    head = select(c.c.budget_id, c.c.sum_cents.label("cents"), c.c.sum_seconds.label("seconds"))
    tail = (
        select(line.c.budget_id, line.c.amount_cents.label("cents"), line.c.seconds.label("seconds"))
        .select_from(line.outerjoin(c, c.c.budget_id == line.c.budget_id))
        .where(line.c.id > watermark, line.c.id > func.coalesce(c.c.upto_line_id, 0))
    )
    if budget_ids is not None:
        wanted = list(budget_ids)
        head = head.where(c.c.budget_id.in_(wanted))
        tail = tail.where(line.c.budget_id.in_(wanted))
    both = union_all(head, tail).subquery()
    return select(both.c.budget_id, func.sum(both.c.cents), func.sum(both.c.seconds)).group_by(
        both.c.budget_id
    )


def balances(conn: Connection, budget_ids: Collection[str] | None = None) -> dict[str, tuple[int, int]]:
    """(cents, seconds) summed over the ledger per budget: the settled balance, from SQL."""
    return {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in conn.execute(_line_sums(budget_ids))}


def checkpoint_if_behind(conn: Connection, *, at: datetime, lag: int = CHECKPOINT_LAG) -> bool:
    """Refresh the checkpoints when more than `lag` lines were appended since; True if it did."""
    watermark = select(func.coalesce(func.min(ledger_checkpoint.c.upto_line_id), 0)).scalar_subquery()
    behind = select(ledger_line.c.id).where(ledger_line.c.id > watermark).limit(lag + 1).subquery()
    if int(conn.execute(select(func.count()).select_from(behind)).scalar_one()) <= lag:
        return False
    refresh_checkpoints(conn, at=at)
    return True


def refresh_checkpoints(conn: Connection, *, at: datetime) -> int:
    """Move every budget's checkpoint up to the newest line; the new upper line id.

    Idempotent: with no new line it writes the same figures again. On PostgreSQL the ledger is
    locked against appends for the refresh (SHARE ROW EXCLUSIVE waits for open appending
    transactions and conflicts with itself), so no line with a lower id can commit later and be
    skipped; on SQLite the write transaction already excludes every other writer.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE ledger_line IN SHARE ROW EXCLUSIVE MODE")
    upto = int(conn.execute(select(func.coalesce(func.max(ledger_line.c.id), 0))).scalar_one())
    sums = {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in conn.execute(_line_sums(None))}
    conn.execute(delete(ledger_checkpoint))
    rows = [
        {"budget_id": b, "upto_line_id": upto, "sum_cents": cents, "sum_seconds": seconds, "refreshed_at": at}
        for b, (cents, seconds) in sorted(sums.items())
    ]
    if rows:
        conn.execute(insert(ledger_checkpoint), rows)
    return upto


def pending_values(
    conn: Connection, budget_ids: Collection[str] | None = None
) -> dict[str, tuple[int, int, int]]:
    """(cents, seconds, count) of pending entries per budget, for the provisional balance."""
    query = (
        select(
            entry_allocation.c.budget_id,
            func.sum(entry_allocation.c.pending_cents),
            func.sum(entry_allocation.c.pending_seconds),
            func.count(),
        )
        .where(entry_allocation.c.state == "pending")
        .group_by(entry_allocation.c.budget_id)
    )
    if budget_ids is not None:
        query = query.where(entry_allocation.c.budget_id.in_(list(budget_ids)))
    return {r[0]: (int(r[1] or 0), int(r[2] or 0), int(r[3])) for r in conn.execute(query)}
