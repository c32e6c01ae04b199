"""The errors of the budgets service, as one tree under the product's base errors.

BudgetsError (PrepaidError)
├── BudgetNotFound        no budget with that id (exit code 2)
├── EntriesNotFound       time entry ids that are not synced, or not in the budget (exit code 2)
├── BudgetConflict        the customer already has an active budget, or the id is taken (exit 2)
├── ChoiceLost            another process changed the same entries first: nothing was written
└── BudgetChanged         the budget changed since it was read (optimistic concurrency)
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.errors import PrepaidError, UserInputError

__all__ = [
    "BudgetChanged",
    "BudgetConflict",
    "BudgetNotFound",
    "BudgetsError",
    "ChoiceLost",
    "EntriesNotFound",
]


class BudgetsError(PrepaidError):
    """The budgets service refused or could not finish an operation."""


class BudgetNotFound(UserInputError, BudgetsError):
    def __init__(self, budget_id: str) -> None:
        super().__init__(f"no budget with id {budget_id!r}; `prepaid budgets list` shows the ids")
        self.budget_id = budget_id


class EntriesNotFound(UserInputError, BudgetsError):
    def __init__(self, entry_ids: Sequence[str], where: str) -> None:
        shown = ", ".join(sorted(entry_ids)[:10]) + (" ..." if len(entry_ids) > 10 else "")
        super().__init__(
            f"time entries {shown} are not {where}; `prepaid entries list` shows them, "
            "and `prepaid sync` fetches new ones from Teamleader"
        )
        self.entry_ids = tuple(entry_ids)


class BudgetConflict(UserInputError, BudgetsError):
    """Creating or activating a budget would break "one active budget per customer"."""


class ChoiceLost(BudgetsError):
    """Another process subtracted, excluded or undid the same entries at the same moment."""

    def __init__(self, entry_ids: Sequence[str]) -> None:
        shown = ", ".join(sorted(entry_ids)[:10])
        super().__init__(
            f"time entries {shown} were changed by another process at the same moment; nothing was "
            "written. Run `prepaid entries list` to see their state now, then choose again"
        )
        self.entry_ids = tuple(entry_ids)


class BudgetChanged(BudgetsError):
    def __init__(self, budget_id: str) -> None:
        super().__init__(
            f"budget {budget_id!r} was changed by someone else while this change was prepared; "
            "nothing was written. Run the command again"
        )
        self.budget_id = budget_id
