"""The budgets service: budgets, entry allocations and the ledger in storage, driven by the billing rules.

`BudgetsService` is what the command line, the sync (through `Container.entries_changed`), the
web adapter and the invoicing worker (through `LedgerCredits` and `StoredBudgets`) call. Import
from here; the modules are implementation.
"""

from __future__ import annotations

from connector.budgets.applying import ApplyReport
from connector.budgets.choices import Choice, ChoiceResult, Selection
from connector.budgets.errors import (
    BudgetChanged,
    BudgetConflict,
    BudgetNotFound,
    BudgetsError,
    ChoiceLost,
    EntriesNotFound,
)
from connector.budgets.service import BudgetsService

__all__ = [
    "ApplyReport",
    "BudgetChanged",
    "BudgetConflict",
    "BudgetNotFound",
    "BudgetsError",
    "BudgetsService",
    "Choice",
    "ChoiceLost",
    "ChoiceResult",
    "EntriesNotFound",
    "Selection",
]
