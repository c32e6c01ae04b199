"""The two ports the web layer needs from the rest of the product, and the errors they raise.

`DashboardReadModel` answers what the pages and the JSON API show; `BudgetActions` performs a
person's choices on time entries; `TopupDesk` lists every top-up and retries or cancels one. The budgets service is adapted to these; tests and the
benchmark use `connector.web.memory`. Both are synchronous (the web layer calls them from a
worker thread) and must not return or raise anything that holds a secret.

Errors, as a tree (the web layer maps each level to one HTTP status):

    DashboardError (PrepaidError)
    ├── UnknownBudget        404  no budget with that id
    ├── UnknownEntries       404  some entry ids are not time entries of that budget
    ├── UnknownTopup         404  no top-up with that id
    ├── ChoiceRefused        409  the entries are known but not in a state that allows the choice
    └── TopupRefused         409  the top-up cannot be retried or cancelled now (the reason says why)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from connector.errors import PrepaidError
from connector.web.views import (
    BudgetDetail,
    BudgetRow,
    ChoiceOutcome,
    EntryState,
    EntryView,
    LedgerLineView,
    Statement,
    StatementPeriod,
    TopupListing,
    TopupView,
)

__all__ = [
    "BudgetActions",
    "ChoiceRefused",
    "DashboardError",
    "DashboardReadModel",
    "TopupDesk",
    "TopupRefused",
    "UnknownBudget",
    "UnknownEntries",
    "UnknownTopup",
]


class DashboardError(PrepaidError):
    """A request named something the dashboard cannot show or do."""


class UnknownBudget(DashboardError):
    def __init__(self, budget_id: str) -> None:
        super().__init__(f"no budget with id {budget_id!r}; `prepaid budgets list` shows the ids")
        self.budget_id = budget_id


class UnknownEntries(DashboardError):
    def __init__(self, budget_id: str, entry_ids: Sequence[str]) -> None:
        shown = ", ".join(sorted(entry_ids))
        super().__init__(
            f"time entries {shown} are not entries of budget {budget_id!r}; "
            "reload the page, or run `prepaid sync` if they are new in Teamleader"
        )
        self.budget_id = budget_id
        self.entry_ids = tuple(entry_ids)


class ChoiceRefused(DashboardError):
    """Raised with the reason, e.g. 'entry 12 is already subtracted' or 'entry 7 needs a rate'."""


class UnknownTopup(DashboardError):
    """No top-up has the id a page posted (the message names it and where the list is)."""


class TopupRefused(DashboardError):
    """A retry or cancel that cannot happen now: closed, booked, busy, or Teamleader refused."""


class DashboardReadModel(Protocol):
    """What the dashboard reads; every method raises `UnknownBudget` for an unknown budget id."""

    def overview(self) -> Sequence[BudgetRow]:
        """Every active budget, in any order (the page sorts)."""
        ...

    def unresolved_entries(self) -> int:
        """Time entries whose customer lookup failed: in no budget until the next sync retries them."""
        ...

    def budget_page(self, budget_id: str) -> BudgetDetail: ...

    def entries(self, budget_id: str, state: EntryState | None = None) -> Sequence[EntryView]:
        """The budget's time entries, newest first, optionally only those in `state`."""
        ...

    def ledger(self, budget_id: str) -> Sequence[LedgerLineView]:
        """Every ledger line of the budget, oldest first."""
        ...

    def topups(self, budget_id: str) -> Sequence[TopupView]:
        """Every top-up of the budget, newest first."""
        ...

    def statement(self, budget_id: str, period: StatementPeriod) -> Statement: ...


class BudgetActions(Protocol):
    """A person's choices; each is all-or-nothing and `actor` is recorded on every ledger line."""

    def subtract(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome: ...

    def exclude(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome: ...

    def undo(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        """Return subtracted or excluded entries to pending (a reversal line for a subtraction)."""
        ...

    def keep(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        """Keep flagged subtractions (Teamleader invoiced them too): the flag is acknowledged."""
        ...

    def reverse(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        """Reverse flagged subtractions with a reversal line; the only way a flag reverses anything."""
        ...


class TopupDesk(Protocol):
    """The top-ups page: every top-up across budgets, and the operator's retry and cancel
    (the same as `prepaid topups retry|cancel`); `actor` is recorded on the top-up's events."""

    def listing(self) -> Sequence[TopupListing]:
        """Every top-up, newest first."""
        ...

    def retry(self, topup_id: str, actor: str) -> None: ...

    def cancel(self, topup_id: str, actor: str) -> None: ...
