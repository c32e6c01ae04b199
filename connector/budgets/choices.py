"""A person's choices (subtract, exclude, undo) on entries picked by id, by date range or pending.

A choice over many entries is all or nothing: one transaction decides every entry with the pure
functions of `connector.billing` and writes them with compare-and-swap. When another process
changed one of the entries first, nothing is written and `ChoiceLost` says so; when the other
process had already finished (SQLite serialises writers), the entry is reported unchanged with
who made the earlier choice, so the loser of a race always gets a clear message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Connection, select

from connector.billing import (
    Allocation,
    AllocationState,
    Budget,
    ChoiceRefused,
    Decision,
    Outcome,
    TimeEntry,
    exclude,
    ineligibility,
    subtract,
    undo,
)
from connector.budgets.budget_queries import load_budgets
from connector.budgets.entry_reads import entries_by_id, load_allocations
from connector.budgets.errors import BudgetNotFound, EntriesNotFound
from connector.budgets.invoiced import settled_in_teamleader, settled_note
from connector.budgets.reports import INVOICED
from connector.budgets.writer import Planned
from connector.storage.tables.budgets import entry_allocation, ledger_line
from connector.storage.tables.sync import time_entry

__all__ = ["Choice", "ChoiceResult", "Selection", "outcomes", "plan_choice"]

ChoiceFn = Callable[..., Decision]


class Choice(StrEnum):
    SUBTRACT = "subtract"
    EXCLUDE = "exclude"
    UNDO = "undo"

    @property
    def decide(self) -> ChoiceFn:
        return {Choice.SUBTRACT: subtract, Choice.EXCLUDE: exclude, Choice.UNDO: undo}[self]

    @property
    def done(self) -> str:
        return {Choice.SUBTRACT: "subtracted", Choice.EXCLUDE: "excluded", Choice.UNDO: "undone"}[self]

    @property
    def from_states(self) -> tuple[str, ...]:
        if self is Choice.UNDO:
            return (AllocationState.SUBTRACTED.value, AllocationState.EXCLUDED.value)
        return (AllocationState.PENDING.value,)


@dataclass(frozen=True, slots=True)
class Selection:
    """Which entries: explicit ids, or every entry in a state that the choice applies to,
    optionally within a budget and a range of days (inclusive)."""

    entry_ids: tuple[str, ...] = ()
    budget_id: str | None = None
    start: date | None = None
    end: date | None = None
    all_pending: bool = False

    @property
    def by_state(self) -> bool:
        return not self.entry_ids


@dataclass(frozen=True)
class ChoiceResult:
    """Entries whose state changed (budget, entry, outcome), and those left as they were, with why."""

    changed: tuple[tuple[str, str, str], ...]
    unchanged: tuple[tuple[str, str, str], ...]
    settled: dict[str, int]


def _pairs_by_state(conn: Connection, choice: Choice, sel: Selection) -> list[tuple[str, str]]:
    query = (
        select(entry_allocation.c.budget_id, entry_allocation.c.time_entry_id)
        .join(time_entry, time_entry.c.id == entry_allocation.c.time_entry_id)
        .where(entry_allocation.c.state.in_(choice.from_states))
        .order_by(time_entry.c.started_on, entry_allocation.c.time_entry_id)
    )
    if sel.budget_id is not None:
        query = query.where(entry_allocation.c.budget_id == sel.budget_id)
    if sel.start is not None:
        query = query.where(time_entry.c.started_on >= sel.start)
    if sel.end is not None:
        query = query.where(time_entry.c.started_on <= sel.end)
    return [(b, e) for b, e in conn.execute(query)]


def _budget_of(entry: TimeEntry, held: list[Allocation], budgets: list[Budget]) -> str | None:
    active = [a.budget_id for a in held if a.is_active]
    if len(active) == 1:
        return active[0]
    eligible = [b.id for b in budgets if ineligibility(b, entry) is None]
    return eligible[0] if len(eligible) == 1 else None


def _refuse_if_settled(choice: Choice, b: Budget, entry: TimeEntry, held: Allocation | None) -> None:
    """An entry Teamleader invoiced (or settled with its prepaid) is listed read-only: say so,
    with the invoice, rather than "not in a budget" or "nothing to undo"."""
    if held is not None and held.is_active:
        return
    why = settled_in_teamleader(b, entry)
    if why is not None:
        raise ChoiceRefused(
            entry.id,
            f"{settled_note(entry, why)}, so budget '{b.name}' never counts it and it cannot be "
            f"{choice.done} (it is listed as {INVOICED}, read-only, to show why its hours are left out)",
        )


def _pairs_by_id(conn: Connection, choice: Choice, sel: Selection) -> list[tuple[str, str]]:
    ids = list(dict.fromkeys(sel.entry_ids))
    entries = entries_by_id(conn, ids)
    missing = [i for i in ids if i not in entries]
    if missing:
        raise EntriesNotFound(missing, "synced time entries")
    if sel.budget_id is not None:
        return [(sel.budget_id, i) for i in ids]
    customers = {e.customer for e in entries.values() if e.customer is not None}
    budgets = load_budgets(conn, customers=customers) if customers else []
    allocations = load_allocations(conn, ids, {b.id: b.unit.currency for b in load_budgets(conn)})
    pairs, unplaced = [], []
    for entry_id in ids:
        entry = entries[entry_id]
        held = [a for (_, e), a in allocations.items() if e == entry_id]
        own = [b for b in budgets if b.customer == entry.customer]
        found = _budget_of(entry, held, own)
        if found is None:
            for b in own:
                _refuse_if_settled(choice, b, entry, next((a for a in held if a.budget_id == b.id), None))
            unplaced.append(entry_id)
        else:
            pairs.append((found, entry_id))
    if unplaced:
        raise EntriesNotFound(unplaced, "in exactly one budget; name the budget with --budget")
    return pairs


def _earlier(conn: Connection, budget_id: str, entry_id: str) -> str:
    row = conn.execute(
        select(ledger_line.c.actor, ledger_line.c.at)
        .where(ledger_line.c.budget_id == budget_id, ledger_line.c.time_entry_id == entry_id)
        .order_by(ledger_line.c.id.desc())
        .limit(1)
    ).first()
    return "" if row is None else f" (by {row.actor} at {row.at:%Y-%m-%d %H:%M:%S} UTC)"


def plan_choice(
    conn: Connection, choice: Choice, sel: Selection, *, actor: str, at: datetime
) -> tuple[list[Planned], list[tuple[str, str, str]]]:
    """Decide the choice for every selected entry; raises `ChoiceRefused` for the first that
    cannot take it. Returns the decisions to write and the entries left unchanged, with why."""
    pairs = _pairs_by_state(conn, choice, sel) if sel.by_state else _pairs_by_id(conn, choice, sel)
    budget_ids = {b for b, _ in pairs}
    budgets = {b.id: b for b in load_budgets(conn, ids=budget_ids)} if budget_ids else {}
    unknown = budget_ids - budgets.keys()
    if unknown:
        raise BudgetNotFound(sorted(unknown)[0])
    entry_ids = list(dict.fromkeys(e for _, e in pairs))
    entries = entries_by_id(conn, entry_ids)
    allocations = load_allocations(conn, entry_ids, {b.id: b.unit.currency for b in budgets.values()})
    planned: list[Planned] = []
    unchanged: list[tuple[str, str, str]] = []
    for budget_id, entry_id in pairs:
        b, entry = budgets[budget_id], entries[entry_id]
        previous = allocations.get((budget_id, entry_id))
        if choice is not Choice.UNDO:
            _refuse_if_settled(choice, b, entry, previous)
        decision = choice.decide(b, entry, previous, actor=actor, at=at)
        if decision.outcome is Outcome.UNCHANGED:
            unchanged.append((budget_id, entry_id, decision.note + _earlier(conn, budget_id, entry_id)))
        else:
            planned.append(Planned(b, entry, previous, decision))
    return planned, unchanged


def outcomes(planned: Sequence[Planned]) -> tuple[tuple[str, str, str], ...]:
    return tuple((p.budget.id, p.entry.id, p.decision.outcome.value) for p in planned)
