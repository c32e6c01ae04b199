"""The errors of the invoicing area, each saying what happened and what a person can do about it.

PrepaidError (connector.errors)
├── UserInputError
│   ├── TopupNotFound            no top-up has that id
│   ├── TopupNotCancellable      the invoice is already booked (or the top-up is closed)
│   ├── TopupNotRetryable        the top-up is closed, or another one is open for its budget
│   └── InvalidReplenishSettings a department or tax rate that Teamleader does not know
└── TopupBusy                    a worker is driving the top-up right now
"""

from __future__ import annotations

from connector.errors import PrepaidError, UserInputError

__all__ = [
    "InvalidReplenishSettings",
    "TopupBusy",
    "TopupNotCancellable",
    "TopupNotFound",
    "TopupNotRetryable",
]


class TopupNotFound(UserInputError):
    def __init__(self, topup_id: str) -> None:
        self.topup_id = topup_id
        super().__init__(f"no top-up with id {topup_id!r}; `prepaid topups list` shows the ids")


class TopupNotCancellable(UserInputError):
    def __init__(self, topup_id: str, why: str) -> None:
        self.topup_id = topup_id
        super().__init__(f"top-up {topup_id} cannot be cancelled: {why}")


class TopupNotRetryable(UserInputError):
    def __init__(self, topup_id: str, why: str) -> None:
        self.topup_id = topup_id
        super().__init__(f"top-up {topup_id} cannot be retried: {why}")


class TopupBusy(PrepaidError):
    def __init__(self, topup_id: str, owner: str) -> None:
        self.topup_id = topup_id
        super().__init__(
            f"top-up {topup_id} is being processed by worker {owner} right now; try again in a minute"
        )


class InvalidReplenishSettings(UserInputError):
    """A budget's replenish settings point at something Teamleader does not have."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(
            f"replenish.{field}: {problem}; use the ids that Teamleader shows under Settings > "
            "Departments and Tax rates in the budget's replenish settings"
        )
