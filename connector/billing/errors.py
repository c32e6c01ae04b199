"""The errors the billing domain raises, as one tree so callers catch at the level they need.

BillingError                      any rule of the domain refused something
├── MoneyError                    a float, an unknown currency, or mixed currencies
├── InvalidTimeEntry              a synced time entry that cannot be reasoned about
├── InvalidBudget                 a budget setting is missing or inconsistent (exit code 2)
│   └── BudgetsFileError          the declarative budgets file, with its line and field
└── ChoiceRefused                 subtract, exclude or undo cannot apply to this entry (exit code 2)
"""

from __future__ import annotations

from connector.errors import PrepaidError, UserInputError

__all__ = [
    "BillingError",
    "BudgetsFileError",
    "ChoiceRefused",
    "InvalidBudget",
    "InvalidTimeEntry",
    "MoneyError",
]


class BillingError(PrepaidError):
    """A rule of the prepaid domain refused an operation."""


class MoneyError(BillingError, TypeError):
    """Money was built from a float, in an unknown currency, or mixed with another currency."""


class InvalidTimeEntry(BillingError, ValueError):
    """A time entry copy is inconsistent (naive datetime, negative duration); the sync must fix it."""


class InvalidBudget(UserInputError, BillingError):
    """A budget setting is missing or inconsistent; `field` names the setting at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"budget setting '{field}': {message}")
        self.field = field
        self.reason = message


class BudgetsFileError(InvalidBudget):
    """The budgets file is rejected whole; `line` points at the offending key when it is known."""

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        UserInputError.__init__(self, f"{where}: {field}: {message}")
        self.field = field
        self.reason = message
        self.line = line
        self.path = path


class ChoiceRefused(UserInputError, BillingError):
    """A person's choice (subtract, exclude, undo, resolve a flag) does not apply to the entry."""

    def __init__(self, entry_id: str, message: str) -> None:
        super().__init__(f"time entry {entry_id}: {message}")
        self.entry_id = entry_id
        self.reason = message
