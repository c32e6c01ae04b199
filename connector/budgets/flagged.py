"""A person's answer to a flagged subtraction: keep it, or reverse it (the double-billing guard).

A subtracted entry that Teamleader later invoiced (or settled with its own prepaid, or made not
invoiceable) is flagged by the sync and nothing is reversed by itself: only these two choices
change it. `keep` acknowledges the flag (the subtraction stays and the flag will not come back);
`reverse` appends a reversal line naming the person, and the entry leaves the budget (or returns
to pending when it could still be subtracted). Like every choice, it is all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from connector.billing import AllocationState, Budget, ChoiceRefused, Decision, keep_flagged, undo
from connector.budgets.balance_queries import balances
from connector.budgets.budget_queries import load_budgets
from connector.budgets.choices import ChoiceResult, outcomes
from connector.budgets.entry_reads import entries_by_id, load_allocations
from connector.budgets.errors import ChoiceLost, EntriesNotFound
from connector.budgets.thresholds import after_change, measure_of
from connector.budgets.writer import Lost, Planned, write_decisions
from connector.storage.tables.budgets import entry_allocation

__all__ = ["FlagChoice", "resolve_flagged"]


class FlagChoice(StrEnum):
    KEEP = "keep"
    REVERSE = "reverse"


def _flagged_pairs(
    conn: Connection, entry_ids: Sequence[str], budget_id: str | None
) -> dict[str, tuple[str, str]]:
    """entry id -> (budget id, flags) of the subtracted allocations among `entry_ids`."""
    query = select(
        entry_allocation.c.time_entry_id, entry_allocation.c.budget_id, entry_allocation.c.flags
    ).where(
        entry_allocation.c.time_entry_id.in_(list(entry_ids)),
        entry_allocation.c.state == AllocationState.SUBTRACTED.value,
    )
    if budget_id is not None:
        query = query.where(entry_allocation.c.budget_id == budget_id)
    return {entry: (budget, flags or "") for entry, budget, flags in conn.execute(query)}


def _plan(
    conn: Connection,
    choice: FlagChoice,
    entry_ids: Sequence[str],
    budget_id: str | None,
    *,
    actor: str,
    at: datetime,
) -> list[Planned]:
    found = _flagged_pairs(conn, entry_ids, budget_id)
    missing = [i for i in entry_ids if i not in found]
    if missing:
        where = f"subtracted in budget {budget_id!r}" if budget_id else "subtracted in any budget"
        raise EntriesNotFound(missing, where)
    for entry_id, (_, flags) in found.items():
        if not flags:
            raise ChoiceRefused(entry_id, f"is not flagged; nothing to {choice.value}")
    budgets = {b.id: b for b in load_budgets(conn, ids={b for b, _ in found.values()})}
    entries = entries_by_id(conn, list(entry_ids))
    allocations = load_allocations(conn, list(entry_ids), {b.id: b.unit.currency for b in budgets.values()})
    planned = []
    for entry_id in entry_ids:
        b: Budget = budgets[found[entry_id][0]]
        allocation = allocations[(b.id, entry_id)]
        decision: Decision
        if choice is FlagChoice.KEEP:
            decision = keep_flagged(allocation)
        else:
            decision = undo(b, entries[entry_id], allocation, actor=actor, at=at)
        planned.append(Planned(b, entries[entry_id], allocation, decision))
    return planned


def resolve_flagged(
    engine: Engine,
    choice: FlagChoice,
    entry_ids: Sequence[str],
    *,
    actor: str,
    now: datetime,
    budget_id: str | None = None,
) -> ChoiceResult:
    """Keep or reverse these flagged subtractions; refused whole when one is not flagged."""
    ids = list(dict.fromkeys(entry_ids))
    if not ids:
        raise EntriesNotFound(["(none)"], "named; give the flagged entry ids")
    at = now
    try:
        with engine.begin() as conn:
            planned = _plan(conn, choice, ids, budget_id, actor=actor, at=at)
            budgets = {p.budget.id: p.budget for p in planned}
            after_change(conn, budgets, lambda: write_decisions(conn, planned, actor=actor, at=at), now=at)
            sums = balances(conn, list(budgets))
    except (Lost, IntegrityError):
        raise ChoiceLost(ids) from None
    settled = {bid: measure_of(budgets[bid], s) for bid, s in sums.items()}
    return ChoiceResult(outcomes(planned), (), settled)
