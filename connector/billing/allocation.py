"""The state of one time entry in one budget, and why an entry may not be subtracted at all.

Storage keeps one allocation per (budget, entry), never deleting it: a released allocation keeps
its `version`, so the source keys of later lines (which include the version) stay unique, and a
stale writer is detected by comparing versions (optimistic concurrency).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from connector.billing.budget import Budget, BudgetStatus
from connector.billing.entries import BillingType, CustomerRef, TimeEntry
from connector.billing.ledger import LedgerLine
from connector.billing.rules import RuleMatch
from connector.billing.valuation import NeedsRate, Valuation

__all__ = [
    "Allocation",
    "AllocationState",
    "Decision",
    "EntrySnapshot",
    "Flag",
    "Ineligible",
    "Outcome",
    "flags_of",
    "ineligibility",
]


class AllocationState(StrEnum):
    PENDING = "pending"
    SUBTRACTED = "subtracted"
    EXCLUDED = "excluded"
    RELEASED = "released"


class Ineligible(StrEnum):
    """Why an entry cannot be (or stay) in a budget; the values are what people read."""

    DELETED = "deleted in Teamleader"
    NO_CUSTOMER = "customer not resolved yet"
    OTHER_CUSTOMER = "belongs to another customer"
    BEFORE_START = "before the budget starts"
    BEFORE_MIGRATION = "settled by Teamleader prepaid before the move"
    AFTER_END = "after the budget ends"
    INVOICED = "invoiced in Teamleader"
    PREPAID = "prepaid in Teamleader"
    BUDGET_CLOSED = "the budget is closed"


class Flag(StrEnum):
    """A subtracted entry that Teamleader later settled another way: a person must choose."""

    INVOICED_IN_TEAMLEADER = "invoiced_in_teamleader"
    PREPAID_IN_TEAMLEADER = "prepaid_in_teamleader"
    NOT_INVOICEABLE = "not_invoiceable"


class Outcome(StrEnum):
    UNCHANGED = "unchanged"
    PENDING = "pending"
    SUBTRACTED = "subtracted"
    ADJUSTED = "adjusted"
    REVERSED = "reversed"
    EXCLUDED = "excluded"
    RELEASED = "released"
    FLAGGED = "flagged"
    FLAG_KEPT = "flag_kept"


@dataclass(frozen=True, slots=True)
class EntrySnapshot:
    """What the allocation last saw of its entry, so an adjustment can say what changed."""

    revision: int
    customer: CustomerRef | None
    duration_seconds: int
    invoiceable: bool
    billing_type: BillingType | None

    @classmethod
    def of(cls, entry: TimeEntry) -> EntrySnapshot:
        return cls(
            entry.revision, entry.customer, entry.duration_seconds, entry.invoiceable, entry.billing_type
        )


@dataclass(frozen=True, slots=True)
class Allocation:
    """One entry in one budget; `valuation` is what the ledger holds for it while subtracted.

    `chosen_by_person` marks a state a person chose (an undo back to pending): auto rules leave
    such an entry alone, so an undo is not silently redone by the next sync.
    """

    budget_id: str
    entry_id: str
    state: AllocationState
    version: int
    snapshot: EntrySnapshot
    valuation: Valuation | None = None
    rule: RuleMatch | None = None
    flags: frozenset[Flag] = frozenset()
    kept_flags: frozenset[Flag] = frozenset()
    chosen_by_person: bool = False

    @property
    def is_active(self) -> bool:
        return self.state is not AllocationState.RELEASED


@dataclass(frozen=True)
class Decision:
    """What must happen: the allocation to store (None: nothing) and the lines to append,
    applied together in one transaction; `note` says why, for lists and logs. `value` is what
    the entry is worth to the budget when the decision had to work it out anyway (a pending
    entry's worth counts in the provisional balance), so it is not computed twice."""

    outcome: Outcome
    allocation: Allocation | None = None
    lines: tuple[LedgerLine, ...] = ()
    note: str = ""
    value: Valuation | NeedsRate | None = None

    @property
    def changed(self) -> bool:
        return self.allocation is not None


def ineligibility(budget: Budget, entry: TimeEntry, *, for_new: bool = True) -> Ineligible | None:
    """Why `entry` cannot be in `budget`, or None; a closed budget only refuses new entries."""
    if entry.deleted:
        return Ineligible.DELETED
    if entry.customer is None:
        return Ineligible.NO_CUSTOMER
    if entry.customer != budget.customer:
        return Ineligible.OTHER_CUSTOMER
    day = entry.local_date(budget.zone)
    if day < budget.start:
        return Ineligible.BEFORE_START
    if budget.end is not None and day > budget.end:
        return Ineligible.AFTER_END
    if budget.migrated_on is not None and day < budget.migrated_on:
        return Ineligible.BEFORE_MIGRATION
    if entry.billing_type is BillingType.INVOICE:
        return Ineligible.INVOICED
    if entry.billing_type is BillingType.PREPAID:
        return Ineligible.PREPAID
    if for_new and budget.status is BudgetStatus.CLOSED:
        return Ineligible.BUDGET_CLOSED
    return None


def flags_of(entry: TimeEntry, allocation: Allocation) -> frozenset[Flag]:
    """The flags a subtracted entry raises now, except those a person chose to keep.

    "Not invoiceable" flags a change only: an entry someone subtracted while it was already not
    invoiceable was a deliberate choice.
    """
    flags: set[Flag] = set()
    if entry.billing_type is BillingType.INVOICE:
        flags.add(Flag.INVOICED_IN_TEAMLEADER)
    if entry.billing_type is BillingType.PREPAID:
        flags.add(Flag.PREPAID_IN_TEAMLEADER)
    was_flagged = Flag.NOT_INVOICEABLE in allocation.flags
    if not entry.invoiceable and (allocation.snapshot.invoiceable or was_flagged):
        flags.add(Flag.NOT_INVOICEABLE)
    return frozenset(flags) - allocation.kept_flags
