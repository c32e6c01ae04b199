"""One time entry across every budget concerned, decided together and ordered for storage.

An entry is subtracted at most once, from one budget. When its customer changes after it was
subtracted (its task moved, a lookup resolved, an edit in Teamleader), the old budget reverses it
and the new budget applies its own rules to it as to a new entry. Storage keeps the "subtracted
once" promise with a unique index that is checked row by row, so the reversal must be stored
before the new subtraction: `decide_across` returns the decisions that free an entry first. When
a budget keeps the entry subtracted (two budgets of one customer that both take it), another
budget's new subtraction is refused with a note rather than left to fail in storage again and again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from connector.billing.allocation import Allocation, AllocationState, Decision, Outcome
from connector.billing.budget import Budget
from connector.billing.entries import TimeEntry

__all__ = ["Decide", "Placement", "decide_across", "frees_entry"]

Decide = Callable[[Budget, TimeEntry, Allocation | None, datetime], Decision]


@dataclass(frozen=True, slots=True)
class Placement:
    """One budget's decision about the entry, with the allocation it was decided from."""

    budget: Budget
    previous: Allocation | None
    decision: Decision


def _was_subtracted(previous: Allocation | None) -> bool:
    return previous is not None and previous.state is AllocationState.SUBTRACTED


def _subtracted_after(previous: Allocation | None, decision: Decision) -> bool:
    after = decision.allocation if decision.allocation is not None else previous
    return after is not None and after.state is AllocationState.SUBTRACTED


def frees_entry(previous: Allocation | None, decision: Decision) -> bool:
    """Whether the decision takes a subtracted entry out of its budget (a reversal, a release)."""
    return _was_subtracted(previous) and not _subtracted_after(previous, decision)


def decide_across(
    entry: TimeEntry, candidates: Iterable[tuple[Budget, Allocation | None]], decide: Decide, at: datetime
) -> list[Placement]:
    """Each candidate budget's decision about `entry`, those freeing it first; a new subtraction
    while another budget keeps the entry subtracted becomes a note that names that budget."""
    placed = [Placement(b, previous, decide(b, entry, previous, at)) for b, previous in candidates]
    if len(placed) < 2:
        return placed
    holder = next(
        (
            p.budget
            for p in placed
            if _was_subtracted(p.previous) and _subtracted_after(p.previous, p.decision)
        ),
        None,
    )
    ordered: list[Placement] = []
    for p in sorted(placed, key=lambda p: not frees_entry(p.previous, p.decision)):
        if _subtracted_after(p.previous, p.decision) and not _was_subtracted(p.previous):
            if holder is not None and holder.id != p.budget.id:
                note = f"already subtracted from budget '{holder.name}'"
                p = Placement(p.budget, p.previous, Decision(Outcome.UNCHANGED, note=note))
            else:
                holder = p.budget
        ordered.append(p)
    return ordered
