"""Threshold crossings: in the transaction that appends the lines, plan the top-up they make due.

The balance before is read in the same transaction as the lines are written (SQLite holds the
write lock from BEGIN IMMEDIATE; on PostgreSQL a concurrent writer's top-up is still refused by
the outbox's unique index), so a crossing plans at most one top-up. In replenish mode `auto` the
top-up goes into the invoicing outbox through `plan_topup`, in the same transaction; in mode
`one-off` only a notification follows, once the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from connector.billing import Budget, ReplenishMode, crossed, topup_amount
from connector.budgets.balance_queries import balances
from connector.invoicing.guards import guard_inputs
from connector.invoicing.outbox import plan_topup

__all__ = ["Crossing", "after_change", "measure_of"]


@dataclass(frozen=True, slots=True)
class Crossing:
    """A budget that went below its threshold (or to zero) through the lines just written."""

    budget: Budget
    before: int
    after: int
    below_threshold: bool
    exhausted: bool
    topup_id: str | None = None
    blocked: str | None = None


def measure_of(b: Budget, sums: tuple[int, int]) -> int:
    """The (cents, seconds) sums of a budget's lines in its measure."""
    return sums[1] if b.unit.is_hours else sums[0]


def _plan(conn: Connection, b: Budget, after: int, now: datetime) -> tuple[str | None, str | None]:
    if b.replenish.mode is not ReplenishMode.AUTO:
        return None, None
    amount = topup_amount(b, after)
    if amount is None:
        return None, None
    blocked = guard_inputs(conn, b, now).blocked(b, amount, open_topup=False)
    if blocked is not None:
        return None, blocked.value
    topup_id = plan_topup(
        conn,
        budget_id=b.id,
        amount_cents=amount.amount.cents(),
        quantity_seconds=amount.measure if b.unit.is_hours else None,
        reason=f"balance {b.unit.format(after)} below threshold {b.unit.format(b.threshold_measure)}",
        now=now,
    )
    return topup_id, None if topup_id else "a top-up for this budget is still open"


def after_change(
    conn: Connection, budgets: Mapping[str, Budget], write: Callable[[], Mapping[str, int]], *, now: datetime
) -> list[Crossing]:
    """Run `write` (which returns each budget's change of measure) and plan what it made due."""
    before = (
        {
            budget_id: measure_of(budgets[budget_id], sums)
            for budget_id, sums in balances(conn, list(budgets)).items()
        }
        if budgets
        else {}
    )
    delta = write()
    crossings: list[Crossing] = []
    for budget_id, change in delta.items():
        b = budgets.get(budget_id)
        if b is None or change >= 0:
            continue
        old = before.get(budget_id, 0)
        new = old + change
        below = crossed(old, new, b.threshold_measure)
        exhausted = old > 0 >= new
        if not below and not exhausted:
            continue
        topup_id, blocked = _plan(conn, b, new, now) if below else (None, None)
        crossings.append(Crossing(b, old, new, below, exhausted, topup_id, blocked))
    return crossings
