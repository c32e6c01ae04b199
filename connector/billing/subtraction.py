"""The subtraction decisions: what must happen when an entry syncs or a person chooses.

Every function is pure: given the budget, the entry as synced and its current allocation in that
budget, it returns a `Decision` (the allocation to store and the ledger lines to append), which
storage applies in one transaction. Line source keys carry the allocation's next version, so two
writers deciding from the same state produce the same keys and the database lets only one win.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from connector.billing.allocation import (
    Allocation,
    AllocationState,
    Decision,
    EntrySnapshot,
    Flag,
    Ineligible,
    Outcome,
    flags_of,
    ineligibility,
)
from connector.billing.budget import Budget, BudgetStatus, SubtractionMode
from connector.billing.entries import TimeEntry
from connector.billing.errors import ChoiceRefused
from connector.billing.ledger import Detail, LedgerLine, LineKind, entry_line
from connector.billing.rules import RuleMatch, first_match
from connector.billing.valuation import NeedsRate, Valuation, value_entry

__all__ = [
    "SYNC_ACTOR",
    "exclude",
    "keep_flagged",
    "on_entry_synced",
    "reevaluate",
    "subtract",
    "undo",
    "value_of",
]

SYNC_ACTOR = "sync"


def value_of(budget: Budget, entry: TimeEntry) -> Valuation | NeedsRate:
    """The entry's value to this budget now (for pending entries and the provisional balance)."""
    return value_entry(entry, budget.valuation, budget.unit)


def _next(
    previous: Allocation | None,
    budget: Budget,
    entry: TimeEntry,
    state: AllocationState,
    *,
    valuation: Valuation | None = None,
    rule: RuleMatch | None = None,
    flags: frozenset[Flag] = frozenset(),
    chosen_by_person: bool = False,
) -> Allocation:
    """The allocation after a decision: one version on, with the entry as just seen. Only a
    subtracted allocation holds a valuation, a rule and flags; kept flags survive while it does."""
    subtracted = state is AllocationState.SUBTRACTED
    kept = previous.kept_flags if previous is not None and subtracted else frozenset()
    return Allocation(
        budget_id=budget.id,
        entry_id=entry.id,
        state=state,
        version=previous.version + 1 if previous is not None else 1,
        snapshot=EntrySnapshot.of(entry),
        valuation=valuation if subtracted else None,
        rule=rule if subtracted else None,
        flags=flags if subtracted else frozenset(),
        kept_flags=kept,
        chosen_by_person=chosen_by_person,
    )


def _subtract(
    budget: Budget,
    entry: TimeEntry,
    previous: Allocation | None,
    valuation: Valuation,
    *,
    actor: str,
    at: datetime,
    rule: RuleMatch | None,
) -> Decision:
    allocation = _next(previous, budget, entry, AllocationState.SUBTRACTED, valuation=valuation, rule=rule)
    line = entry_line(
        budget,
        LineKind.SUBTRACTION,
        entry_id=entry.id,
        amount=-valuation.amount,
        seconds=-valuation.rounded_seconds,
        key=str(allocation.version),
        actor=actor,
        at=at,
        valuation=valuation,
        rule=rule,
        reason=valuation.explain(),
    )
    return Decision(Outcome.SUBTRACTED, allocation, (line,))


def _reversal(
    budget: Budget,
    allocation: Allocation,
    version: int,
    *,
    actor: str,
    at: datetime,
    reason: str,
    details: dict[str, Detail] | None = None,
) -> LedgerLine:
    held = allocation.valuation
    assert held is not None, "a subtracted allocation always holds its valuation"
    return entry_line(
        budget,
        LineKind.REVERSAL,
        entry_id=allocation.entry_id,
        amount=held.amount,
        seconds=held.rounded_seconds,
        key=str(version),
        actor=actor,
        at=at,
        valuation=held,
        rule=allocation.rule,
        reason=reason,
        details=details,
    )


def _customer_change(allocation: Allocation, entry: TimeEntry) -> dict[str, Detail]:
    """Old and new customer, for the reversal of an entry that left the budget's customer."""
    before, after = allocation.snapshot.customer, entry.customer
    return {
        "old_customer": None if before is None else str(before),
        "new_customer": None if after is None else str(after),
    }


def _assign(budget: Budget, entry: TimeEntry, previous: Allocation | None, at: datetime) -> Decision:
    valuation = value_of(budget, entry)
    held_by_person = previous is not None and previous.chosen_by_person
    if budget.mode is SubtractionMode.AUTO and budget.status is BudgetStatus.ACTIVE and not held_by_person:
        match = first_match(budget.rules, entry)
        if match is not None and isinstance(valuation, Valuation):
            return _subtract(budget, entry, previous, valuation, actor=f"rule:{match}", at=at, rule=match)
    note = valuation.explain() if isinstance(valuation, NeedsRate) else ""
    pending = _next(previous, budget, entry, AllocationState.PENDING, chosen_by_person=held_by_person)
    return Decision(Outcome.PENDING, pending, note=note, value=valuation)


def _changes(old: Allocation, held: Valuation, entry: TimeEntry, new: Valuation) -> dict[str, Detail]:
    """Old and new of each figure that changed, for the adjustment line and the statement."""
    pairs: dict[str, tuple[Detail, Detail]] = {
        "duration_seconds": (old.snapshot.duration_seconds, entry.duration_seconds),
        "rounded_seconds": (held.rounded_seconds, new.rounded_seconds),
        "rate": (str(held.rate), str(new.rate)),
        "rate_source": (held.rate_source.value, new.rate_source.value),
        "invoiceable": (old.snapshot.invoiceable, entry.invoiceable),
        "amount": (str(held.amount), str(new.amount)),
    }
    details: dict[str, Detail] = {}
    for name, (before, after) in pairs.items():
        if before != after or name == "amount":
            details[f"old_{name}"], details[f"new_{name}"] = before, after
    return details


def _follow_subtracted(budget: Budget, entry: TimeEntry, allocation: Allocation, at: datetime) -> Decision:
    why = ineligibility(budget, entry, for_new=False)
    if why not in (None, Ineligible.INVOICED, Ineligible.PREPAID):
        assert why is not None
        reason = why.value if why is not Ineligible.OTHER_CUSTOMER else f"moved to customer {entry.customer}"
        moved = why in (Ineligible.OTHER_CUSTOMER, Ineligible.NO_CUSTOMER)
        released = _next(allocation, budget, entry, AllocationState.RELEASED)
        line = _reversal(
            budget,
            allocation,
            released.version,
            actor=SYNC_ACTOR,
            at=at,
            reason=reason,
            details=_customer_change(allocation, entry) if moved else None,
        )
        return Decision(Outcome.REVERSED, released, (line,), note=reason)
    held = allocation.valuation
    assert held is not None, "a subtracted allocation always holds its valuation"
    flags = flags_of(entry, allocation)
    new = value_of(budget, entry)
    changed = isinstance(new, Valuation) and (new.amount, new.rounded_seconds) != (
        held.amount,
        held.rounded_seconds,
    )
    kept = new if isinstance(new, Valuation) and changed else held
    updated = _next(
        allocation,
        budget,
        entry,
        AllocationState.SUBTRACTED,
        valuation=kept,
        rule=allocation.rule,
        flags=flags,
    )
    raised = flags - allocation.flags
    note = ", ".join(sorted(flag.value for flag in raised))
    if isinstance(new, NeedsRate):
        note = new.explain()
    if not isinstance(new, Valuation) or not changed:
        return Decision(Outcome.FLAGGED if raised else Outcome.UNCHANGED, updated, note=note)
    details = _changes(allocation, held, entry, new)
    line = entry_line(
        budget,
        LineKind.ADJUSTMENT,
        entry_id=entry.id,
        amount=held.amount - new.amount,
        seconds=held.rounded_seconds - new.rounded_seconds,
        key=str(updated.version),
        actor=SYNC_ACTOR,
        at=at,
        valuation=new,
        rule=allocation.rule,
        reason="changed in Teamleader: " + "; ".join(k[4:] for k in details if k.startswith("old_")),
        details=details,
    )
    return Decision(Outcome.ADJUSTED, updated, (line,), note=note)


def on_entry_synced(
    budget: Budget, entry: TimeEntry, allocation: Allocation | None, *, at: datetime
) -> Decision:
    """The one decision sync asks for; a revision already seen changes nothing (replays are free)."""
    if allocation is not None and allocation.is_active and allocation.snapshot.revision == entry.revision:
        return Decision(Outcome.UNCHANGED)
    if allocation is None or not allocation.is_active:
        why = ineligibility(budget, entry)
        return Decision(Outcome.UNCHANGED, note=why.value) if why else _assign(budget, entry, allocation, at)
    if allocation.state is AllocationState.SUBTRACTED:
        return _follow_subtracted(budget, entry, allocation, at)
    why = ineligibility(budget, entry, for_new=False)
    if why is not None:
        return Decision(
            Outcome.RELEASED, _next(allocation, budget, entry, AllocationState.RELEASED), note=why.value
        )
    if allocation.state is AllocationState.PENDING:
        return _assign(budget, entry, allocation, at)
    return Decision(Outcome.EXCLUDED, _next(allocation, budget, entry, AllocationState.EXCLUDED))


def reevaluate(budget: Budget, entry: TimeEntry, allocation: Allocation | None, *, at: datetime) -> Decision:
    """After a rule or rate change: pending entries meet the new rules; history stays as it is.
    An entry that left the budget (another customer, deleted) waits for the sync to release it."""
    if allocation is None or allocation.state is not AllocationState.PENDING:
        return Decision(Outcome.UNCHANGED)
    if ineligibility(budget, entry, for_new=False) is not None:
        return Decision(Outcome.UNCHANGED)
    if budget.mode is not SubtractionMode.AUTO or allocation.chosen_by_person:
        return Decision(Outcome.UNCHANGED)
    decision = _assign(budget, entry, allocation, at)
    return (
        decision
        if decision.outcome is Outcome.SUBTRACTED
        else Decision(Outcome.UNCHANGED, note=decision.note)
    )


def subtract(
    budget: Budget, entry: TimeEntry, allocation: Allocation | None, *, actor: str, at: datetime
) -> Decision:
    """A person subtracts the entry; refused with the reason when it cannot be."""
    if allocation is not None and allocation.state is AllocationState.SUBTRACTED:
        return Decision(Outcome.UNCHANGED, note="already subtracted")
    why = ineligibility(budget, entry)
    if why is not None:
        raise ChoiceRefused(entry.id, f"cannot be subtracted from budget '{budget.name}': {why.value}")
    valuation = value_of(budget, entry)
    if isinstance(valuation, NeedsRate):
        raise ChoiceRefused(entry.id, valuation.explain())
    return _subtract(budget, entry, allocation, valuation, actor=actor, at=at, rule=None)


def exclude(
    budget: Budget, entry: TimeEntry, allocation: Allocation | None, *, actor: str, at: datetime
) -> Decision:
    """A person keeps the entry out of the budget; a subtracted entry is reversed first."""
    if allocation is not None and allocation.state is AllocationState.EXCLUDED:
        return Decision(Outcome.UNCHANGED, note="already excluded")
    excluded = _next(allocation, budget, entry, AllocationState.EXCLUDED, chosen_by_person=True)
    if allocation is not None and allocation.state is AllocationState.SUBTRACTED:
        line = _reversal(
            budget, allocation, excluded.version, actor=actor, at=at, reason=f"excluded by {actor}"
        )
        return Decision(Outcome.EXCLUDED, excluded, (line,))
    why = ineligibility(budget, entry)
    if why is not None:
        raise ChoiceRefused(entry.id, f"is not in budget '{budget.name}': {why.value}")
    return Decision(Outcome.EXCLUDED, excluded)


def undo(
    budget: Budget, entry: TimeEntry, allocation: Allocation | None, *, actor: str, at: datetime
) -> Decision:
    """Back to pending (a reversal line for a subtraction); an entry that can no longer be in the
    budget, such as one invoiced in Teamleader, is released instead."""
    if allocation is None or allocation.state in (AllocationState.PENDING, AllocationState.RELEASED):
        return Decision(Outcome.UNCHANGED, note="nothing to undo")
    eligible = ineligibility(budget, entry, for_new=False) is None
    state = AllocationState.PENDING if eligible else AllocationState.RELEASED
    after = _next(allocation, budget, entry, state, chosen_by_person=eligible)
    if allocation.state is AllocationState.EXCLUDED:
        return Decision(Outcome.PENDING if eligible else Outcome.RELEASED, after)
    line = _reversal(budget, allocation, after.version, actor=actor, at=at, reason=f"undone by {actor}")
    return Decision(Outcome.REVERSED, after, (line,))


def keep_flagged(allocation: Allocation) -> Decision:
    """A person keeps a flagged subtraction: the flag is acknowledged and will not come back."""
    if allocation.state is not AllocationState.SUBTRACTED or not allocation.flags:
        raise ChoiceRefused(allocation.entry_id, "is not flagged; nothing to keep")
    kept = replace(
        allocation,
        version=allocation.version + 1,
        flags=frozenset(),
        kept_flags=allocation.kept_flags | allocation.flags,
    )
    return Decision(Outcome.FLAG_KEPT, kept)
