"""What-if: replay a budget's past time entries under new rules, rates or threshold, writing nothing.

The proposal is a budget from a budgets file (same id). Entries from `since` on are decided
again with the pure functions of `connector.billing`, each as if it had just arrived: a person's
choice stays a person's choice (an entry someone subtracted is valued anew, an excluded one stays
out, a flagged subtraction a person kept stays subtracted), everything else meets the proposed
rules. Earlier entries keep what they have. Both the stored budget and the proposal are then run
through the same simulation of the ledger over time (entry debits on the day the time was
tracked, the non-top-up lines as recorded, and a top-up credited whenever the balance crosses the
threshold, within the guardrails), so that the top-ups of the two are compared like with like. Everything is read in one read-only connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import Connection, or_, select

from connector.billing import (
    Allocation,
    AllocationState,
    Budget,
    BudgetsFileError,
    ChoiceRefused,
    LedgerLine,
    LineKind,
    Money,
    Outcome,
    ReplenishMode,
    TimeEntry,
    Valuation,
    carry_versions,
    crossed,
    on_entry_synced,
    parse_budgets_file,
    subtract,
    topup_amount,
    topup_blocked,
    value_of,
)
from connector.budgets.budget_queries import load_budgets
from connector.budgets.entry_reads import entries_by_id, load_allocations
from connector.budgets.errors import BudgetNotFound
from connector.budgets.reports import lines_of
from connector.errors import UserInputError
from connector.storage.tables.budgets import entry_allocation
from connector.storage.tables.sync import time_entry

__all__ = ["Scenario", "SimulatedTopup", "WhatIf", "WhatIfError", "load_proposal", "what_if"]

_TOPUP_KINDS = frozenset({LineKind.TOPUP_CREDIT, LineKind.CREDIT_REVERSAL})
_ACTOR = "what-if"
_EARLIEST = datetime.min.replace(tzinfo=UTC)


class WhatIfError(UserInputError):
    """The proposal cannot be compared with the stored budget."""


@dataclass(frozen=True, slots=True)
class SimulatedTopup:
    """A top-up the simulation creates (or a guardrail stops, with `blocked` saying why)."""

    day: date
    amount: Money
    measure: int
    blocked: str | None = None


@dataclass
class Scenario:
    """One budget's past under one set of settings; measures in the budget's unit."""

    subtracted: int = 0
    subtracted_measure: int = 0
    pending: int = 0
    needs_rate: int = 0
    topups: list[SimulatedTopup] = field(default_factory=list)


@dataclass
class WhatIf:
    """The stored budget's past against the proposal's, entry by entry and in total."""

    current_budget: Budget
    proposed_budget: Budget
    since: date | None
    replayed: int
    settled: int
    proposed_settled: int
    current: Scenario
    proposed: Scenario
    changed: list[tuple[str, str, int, str, int]] = field(default_factory=list)

    @property
    def topups_difference(self) -> int:
        made = [t for t in self.proposed.topups if t.blocked is None]
        return len(made) - len([t for t in self.current.topups if t.blocked is None])


def load_proposal(path: Path, budget_id: str, current: Budget) -> Budget:
    """The budget `budget_id` as the file wants it, for the stored budget's customer."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BudgetsFileError(str(path), None, "file", f"cannot read it: {error.strerror}") from None
    specs = {spec.id: spec for spec in parse_budgets_file(text, str(path))}
    spec = specs.get(budget_id)
    if spec is None:
        known = ", ".join(sorted(specs)) or "none"
        raise WhatIfError(f"{path} has no budget with id {budget_id!r} (it has: {known}); add it to the file")
    proposed = spec.build(current.customer, version=current.version)
    if proposed.unit != current.unit:
        raise WhatIfError(
            f"budget {budget_id}: the file changes the unit ({current.unit.kind.value} to "
            f"{proposed.unit.kind.value}); past entries cannot be replayed across units"
        )
    return replace(proposed, rules=carry_versions(proposed.rules, current.rules))


def _entries(conn: Connection, b: Budget) -> list[TimeEntry]:
    held = select(entry_allocation.c.time_entry_id).where(entry_allocation.c.budget_id == b.id)
    ids = list(
        conn.execute(
            select(time_entry.c.id).where(
                or_(
                    (time_entry.c.customer_type == b.customer.type.value)
                    & (time_entry.c.customer_id == b.customer.id),
                    time_entry.c.id.in_(held),
                )
            )
        ).scalars()
    )
    return list(entries_by_id(conn, ids).values())


def _held_measure(b: Budget, a: Allocation | None) -> int:
    if a is None or a.state is not AllocationState.SUBTRACTED or a.valuation is None:
        return 0
    return a.valuation.rounded_seconds if b.unit.is_hours else a.valuation.amount.cents()


def _measure(b: Budget, v: Valuation) -> int:
    return v.rounded_seconds if b.unit.is_hours else v.amount.cents()


def _replay(b: Budget, entry: TimeEntry, a: Allocation | None, at: datetime) -> tuple[str, int]:
    """The entry's state and subtracted measure under `b`, as if it had just arrived."""
    by_person = a is not None and (
        a.chosen_by_person or (a.state is AllocationState.SUBTRACTED and a.rule is None)
    )
    if a is not None and a.state is AllocationState.SUBTRACTED and a.kept_flags:
        kept = value_of(b, entry)
        if isinstance(kept, Valuation):
            return AllocationState.SUBTRACTED.value, _measure(b, kept)
    if by_person and a is not None and a.state is AllocationState.EXCLUDED:
        return AllocationState.EXCLUDED.value, 0
    if by_person and a is not None and a.state is AllocationState.SUBTRACTED:
        try:
            decision = subtract(b, entry, None, actor=_ACTOR, at=at)
        except ChoiceRefused:
            return AllocationState.PENDING.value, 0
    else:
        decision = on_entry_synced(b, entry, None, at=at)
    if decision.outcome is Outcome.SUBTRACTED and decision.allocation is not None:
        assert decision.allocation.valuation is not None
        return AllocationState.SUBTRACTED.value, _measure(b, decision.allocation.valuation)
    if decision.allocation is None:
        return "not in budget", 0
    return AllocationState.PENDING.value, 0


def _when(b: Budget, entry: TimeEntry) -> datetime:
    if entry.started_at is not None:
        return entry.started_at
    return datetime.combine(entry.started_on, time(0), tzinfo=b.zone)


def _simulate(
    b: Budget, lines: Iterable[LedgerLine], debits: Mapping[str, tuple[datetime, int]], opening_change: int
) -> list[SimulatedTopup]:
    """Top-ups created along the balance over time: the stored non-top-up lines, the scenario's
    entry debits, and a top-up credited at each crossing that the guardrails let through. The
    opening line counts from the start, whenever it was recorded."""
    events: list[tuple[datetime, int]] = [
        (_EARLIEST if line.kind is LineKind.OPENING else line.at, line.measure(b.unit))
        for line in lines
        if line.kind not in _TOPUP_KINDS and line.entry_id is None
    ]
    events += [(at, -measure) for at, measure in debits.values() if measure]
    events.sort(key=lambda event: event[0])
    balance = opening_change
    per_month: dict[tuple[int, int], int] = {}
    made: list[SimulatedTopup] = []
    threshold = b.threshold_measure
    for at, change in events:
        before, balance = balance, balance + change
        if b.replenish.mode is not ReplenishMode.AUTO or not crossed(before, balance, threshold):
            continue
        amount = topup_amount(b, balance)
        if amount is None:
            continue
        day = at.astimezone(b.zone).date()
        month = (day.year, day.month)
        blocked = topup_blocked(
            b,
            amount,
            today=day,
            open_topup=False,
            invoiced_this_month=per_month.get(month, 0),
            consecutive_failures=0,
        )
        made.append(
            SimulatedTopup(day, amount.amount, amount.measure, None if blocked is None else blocked.value)
        )
        if blocked is None:
            per_month[month] = per_month.get(month, 0) + amount.measure
            balance += amount.measure
    return made


def what_if(
    conn: Connection,
    budget_id: str,
    proposed: Budget,
    *,
    now: datetime,
    since: date | None = None,
) -> WhatIf:
    """Compare the stored budget's past with the proposal's; reads only."""
    found = load_budgets(conn, ids=[budget_id])
    if not found:
        raise BudgetNotFound(budget_id)
    current = found[0]
    at = now
    entries = sorted(_entries(conn, current), key=lambda e: (_when(current, e), e.id))
    held = load_allocations(conn, [e.id for e in entries], {current.id: current.unit.currency})
    lines = lines_of(conn, current)
    settled = sum(line.measure(current.unit) for line in lines)
    result = WhatIf(current, proposed, since, 0, settled, settled, Scenario(), Scenario())
    now_debits: dict[str, tuple[datetime, int]] = {}
    new_debits: dict[str, tuple[datetime, int]] = {}
    for entry in entries:
        allocation = held.get((current.id, entry.id))
        before = _held_measure(current, allocation)
        when = _when(current, entry)
        now_debits[entry.id] = (when, before)
        state_before = allocation.state.value if allocation is not None else "not in budget"
        if since is not None and entry.local_date(current.zone) < since:
            new_debits[entry.id] = (when, before)
            continue
        result.replayed += 1
        state, measure = _replay(proposed, entry, allocation, at)
        new_debits[entry.id] = (when, measure)
        for scenario, kept, value in (
            (result.current, state_before, before),
            (result.proposed, state, measure),
        ):
            if kept == AllocationState.SUBTRACTED.value:
                scenario.subtracted += 1
                scenario.subtracted_measure += value
            elif kept == AllocationState.PENDING.value:
                scenario.pending += 1
        if (state_before, before) != (state, measure):
            result.changed.append((entry.id, state_before, before, state, measure))
    opening_change = proposed.opening_measure - current.opening_measure
    result.proposed_settled = settled + result.current.subtracted_measure - result.proposed.subtracted_measure
    result.proposed_settled += opening_change
    result.current.topups = _simulate(current, lines, now_debits, 0)
    result.proposed.topups = _simulate(proposed, lines, new_debits, opening_change)
    return result
