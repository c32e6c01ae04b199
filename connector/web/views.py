"""The view dataclasses the dashboard, the JSON API and the statement render: figures, not rules.

A read model (the budgets service, or the in-memory one in `connector.web.memory`) fills these
from storage and the billing domain; the web layer only formats and lays them out, so nothing
here computes a balance. Quantities are `Decimal` in the budget's unit (an amount of `currency`
for a money budget, hours for an hours budget); money figures are `Decimal` in `currency`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "BudgetDetail",
    "BudgetRow",
    "BurnPoint",
    "ChoiceOutcome",
    "EntryState",
    "EntryView",
    "Forecast",
    "LedgerLineView",
    "PeriodView",
    "Statement",
    "StatementLine",
    "StatementPeriod",
    "TopupHoldView",
    "TopupListing",
    "TopupView",
    "Unit",
]


class Unit(StrEnum):
    """What a budget is kept in: an amount of its currency, or hours."""

    MONEY = "money"
    HOURS = "hours"


class EntryState(StrEnum):
    """An entry's state in a budget; `invoiced` is read-only: Teamleader invoiced the entry itself
    (or settled it with its own prepaid), so the budget never counts it and it cannot be chosen."""

    PENDING = "pending"
    SUBTRACTED = "subtracted"
    EXCLUDED = "excluded"
    INVOICED = "invoiced"


@dataclass(frozen=True, slots=True)
class TopupView:
    """One top-up and its Teamleader invoice; `state` is the top-up's own word (draft, booked, paid...)."""

    id: str
    state: str
    amount: Decimal
    created_at: datetime
    invoice_number: str | None = None
    credited_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PeriodView:
    """The current period of a renewing budget: its days, how much of it is used, how many days
    are left, and what a close today would carry over, expire, invoice as overage or write off
    (quantities in the budget's unit)."""

    label: str
    start: date
    end: date
    days_left: int
    share_used: Decimal
    carried: Decimal
    expires: Decimal
    overage: Decimal
    written_off: Decimal


@dataclass(frozen=True, slots=True)
class BudgetRow:
    """One budget as the overview lists it; `share_used` is consumed / credited (0.25 = a quarter).

    Both figures of the balance: `hours` (an hours budget's own unit, a money budget's balance at
    its default rate) and `value` (an hours budget's balance at its hour price); `period` is set
    for a renewing budget."""

    id: str
    customer_name: str
    name: str
    unit: Unit
    currency: str
    settled: Decimal
    provisional: Decimal
    threshold: Decimal
    share_used: Decimal
    hours: Decimal | None
    forecast_date: date | None = None
    open_topup: TopupView | None = None
    last_sync: datetime | None = None
    value: Decimal | None = None
    period: PeriodView | None = None
    time_zone: str = "UTC"
    rounding_seconds: int = 0
    minimum_seconds: int = 0
    statement_names: bool = False

    @property
    def negative(self) -> bool:
        return self.settled < 0

    @property
    def below_threshold(self) -> bool:
        return self.settled < self.threshold


@dataclass(frozen=True, slots=True)
class BurnPoint:
    """The settled balance at the end of `day`, in the budget's unit."""

    day: date
    balance: Decimal


@dataclass(frozen=True, slots=True)
class TopupHoldView:
    """Why the budget's automatic top-ups are held now: `code` for scripts (open_topup, paused,
    monthly_cap, near_end), `reason` and `detail` for people."""

    code: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class Forecast:
    """What the recent burn rate predicts; every date is None when the budget is not burning.
    While a guardrail holds the next top-up, `next_topup_date` is None and `topup_held` says why."""

    burn_per_day: Decimal | None = None
    threshold_date: date | None = None
    zero_date: date | None = None
    next_topup_date: date | None = None
    next_topup_amount: Decimal | None = None
    topup_held: TopupHoldView | None = None


@dataclass(frozen=True, slots=True)
class EntryView:
    """A time entry as a person chooses it; `amount` is None when no rate applies (needs a rate)
    and for an entry Teamleader invoiced (state `invoiced`, with `warning` saying so and
    `teamleader_invoice_id` naming the invoice when it is known)."""

    id: str
    state: EntryState
    day: date
    person: str
    work_type: str
    description: str
    duration_seconds: int
    rounded_seconds: int
    rate: Decimal | None
    amount: Decimal | None
    warning: str | None = None
    teamleader_invoice_id: str | None = None


@dataclass(frozen=True, slots=True)
class LedgerLineView:
    """One ledger line: `change` in the budget's unit, `amount` in money, `kind` as the ledger names it.
    `description` is the line's stored reason; an entry line also carries its time entry's day,
    person and description and the figures it was valued with (`details` as the ledger keeps them),
    a top-up line its invoice number."""

    id: str
    at: datetime
    kind: str
    change: Decimal
    amount: Decimal
    actor: str
    description: str
    entry_id: str | None = None
    invoice_number: str | None = None
    entry_day: date | None = None
    person: str = ""
    entry_description: str = ""
    duration_seconds: int | None = None
    rounded_seconds: int | None = None
    rate: Decimal | None = None
    rate_source: str | None = None
    details: dict[str, object] | None = None


@dataclass(frozen=True, slots=True)
class BudgetDetail:
    """Everything the budget page shows; entries are newest first, the burn series oldest first.
    `invoiced` lists the entries Teamleader invoiced itself (read-only); `topup_hold` says why no
    automatic top-up is coming, when a guardrail holds it."""

    budget: BudgetRow
    burn: tuple[BurnPoint, ...]
    forecast: Forecast
    pending: tuple[EntryView, ...]
    subtracted: tuple[EntryView, ...]
    ledger: tuple[LedgerLineView, ...]
    topups: tuple[TopupView, ...]
    excluded: tuple[EntryView, ...] = ()
    invoiced: tuple[EntryView, ...] = ()
    topup_hold: TopupHoldView | None = None


@dataclass(frozen=True, slots=True)
class StatementPeriod:
    """An inclusive range of days, named as people write it: 2026-11, 2026-Q4, 2026 or a range."""

    start: date
    end: date
    label: str


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One change to the balance within the period: a subtraction, its adjustment or reversal, a
    correction. `change` is signed, in the budget's unit; `amount` is signed money."""

    day: date
    kind: str
    change: Decimal
    person: str
    work_type: str
    description: str
    rounded_seconds: int
    rate: Decimal | None
    amount: Decimal
    funded_by: str = ""
    reason: str = ""
    invoice_number: str | None = None
    duration_seconds: int | None = None
    rate_source: str | None = None
    details: dict[str, object] | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    """A budget's account for one period, in the budget's unit: the closing balance is the opening
    plus every line's change plus the top-ups credited in the period (`topups`)."""

    budget: BudgetRow
    period: StatementPeriod
    opening: Decimal
    lines: tuple[StatementLine, ...]
    topups: tuple[TopupView, ...]
    closing: Decimal
    flagged: tuple[EntryView, ...] = ()


@dataclass(frozen=True, slots=True)
class TopupListing:
    """One top-up as the top-ups page lists it across budgets: its customer and budget by name,
    its invoice, why it failed (`last_error`) and why the budget's top-ups are held (`hold`), and
    whether a person may retry or cancel it now."""

    topup: TopupView
    budget_id: str
    budget_name: str
    customer_name: str
    currency: str
    time_zone: str
    kind: str
    reason: str
    last_error: str | None
    attempts: int
    hold: TopupHoldView | None
    can_retry: bool
    can_cancel: bool


@dataclass(frozen=True, slots=True)
class ChoiceOutcome:
    """What a subtract, exclude or undo changed: the entries it moved, and the settled balance after."""

    entry_ids: tuple[str, ...]
    settled: Decimal
