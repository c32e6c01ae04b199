"""Applying decisions to the database: allocations by compare-and-swap, lines by unique key.

A `Decision` from `connector.billing` says which allocation to store and which lines to append;
`write_decisions` stores a whole batch of them with one `executemany` per statement. The batch
fails as a whole when another writer got there first (an allocation's version moved, a source key
or the "subtracted once" index already taken): the caller rolls back and decides again from
fresh reads. Updates go first, in the order decided (`connector.billing.decide_across` puts
an entry's reversal before its subtraction in another budget), then new allocations: the unique
index checks each row as it is written, so an entry moving budgets is never held by two at once.
A pending allocation also stores what the entry is worth now, so the provisional
balance is a SQL sum too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from connector.billing import (
    Allocation,
    AllocationState,
    Budget,
    Decision,
    NeedsRate,
    TimeEntry,
    Valuation,
    value_of,
)
from connector.budgets.bulk_writes import insert_allocations, insert_line_rows, update_allocations
from connector.budgets.entry_codec import allocation_values, exact_cents, line_values, rate_cents
from connector.budgets.periods import stamp_periods

__all__ = ["Lost", "Planned", "write_decisions"]


class Lost(Exception):
    """Another writer changed an allocation of the batch first; decide again from fresh reads."""


@dataclass(frozen=True)
class Planned:
    """One decision with what it was decided from."""

    budget: Budget
    entry: TimeEntry
    previous: Allocation | None
    decision: Decision


def _pending_value(p: Planned) -> tuple[tuple[int, int] | None, bool, int | None]:
    """(cents, rounded seconds) a pending entry is worth now, whether it needs a rate, its rate."""
    allocation = p.decision.allocation
    if allocation is None or allocation.state is not AllocationState.PENDING:
        return None, False, None
    value = p.decision.value if p.decision.value is not None else value_of(p.budget, p.entry)
    if isinstance(value, NeedsRate):
        return None, True, None
    assert isinstance(value, Valuation)
    return (exact_cents(value.amount), value.rounded_seconds), False, rate_cents(value.rate)


def write_decisions(
    conn: Connection, planned: Sequence[Planned], *, actor: str, at: datetime
) -> dict[str, int]:
    """Store every decision that changes something; the change of each budget's measure.

    Raises `Lost` when an allocation changed since it was read; an `IntegrityError` when a line
    or a subtraction was already recorded by someone else. Either way the caller rolls back.
    """
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    delta: dict[str, int] = defaultdict(int)
    for p in planned:
        allocation = p.decision.allocation
        if allocation is None:
            continue
        pending, needs_rate, rate = _pending_value(p)
        row = allocation_values(
            allocation, pending=pending, needs_rate=needs_rate, note=p.decision.note, actor=actor, at=at
        )
        if rate is not None:
            row["rate_cents"] = rate
        if p.previous is None:
            inserts.append(row)
        else:
            row["expected_version"] = p.previous.version
            updates.append(row)
        hours = p.budget.unit.is_hours
        for line in p.decision.lines:
            values = line_values(line)
            lines.append(values)
            delta[p.budget.id] += values["seconds"] if hours else values["amount_cents"]
    if update_allocations(conn, updates) != len(updates):
        raise Lost("an allocation changed while it was being decided")
    insert_allocations(conn, inserts)
    stamp_periods(conn, planned, lines)
    insert_line_rows(conn, lines)
    return dict(delta)
