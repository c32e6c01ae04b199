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
    "SOON_DAYS",
    "BudgetDetail",
    "BudgetRow",
    "BurnPoint",
    "ChoiceOutcome",
    "Concern",
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


SOON_DAYS = 7
"""A budget expected to cross its threshold within this many days needs attention now."""


class Concern(StrEnum):
    """Why the overview points at a budget, most urgent first (the order of the members)."""

    NEGATIVE = "negative"
    TOPUP_HELD = "topup_held"
    BELOW_THRESHOLD = "below_threshold"
    CROSSING_SOON = "crossing_soon"

    @property
    def rank(self) -> int:
        """0 for the most urgent concern."""
        return list(Concern).index(self)


@dataclass(frozen=True, slots=True)
class TopupHoldView:
    """Why the budget's automatic top-ups are held now: `code` for scripts (open_topup, paused,
    monthly_cap, near_end, or failed for a top-up whose invoice failed), `reason` and `detail` for
    people."""

    code: str
    reason: str
    detail: str


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
    for a renewing budget. `forecast_date` is the day the balance is expected below the threshold
    (the budget page's forecast), `crossing_in_days` how far that is from the budget's today;
    `topup_hold` what holds its automatic top-ups (a failed top-up included), None when nothing
    does or only an open top-up is on its way."""

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
    crossing_in_days: int | None = None
    topup_hold: TopupHoldView | None = None

    @property
    def negative(self) -> bool:
        return self.settled < 0

    @property
    def below_threshold(self) -> bool:
        return self.settled < self.threshold

    @property
    def concerns(self) -> tuple[Concern, ...]:
        """What needs doing, most urgent first. Both balances count: a budget whose pending time
        would take it negative is negative; one already negative is not also "below threshold";
        one already below is not also "crossing soon"."""
        found = []
        if min(self.settled, self.provisional) < 0:
            found.append(Concern.NEGATIVE)
        if self.topup_hold is not None:
            found.append(Concern.TOPUP_HELD)
        below = min(self.settled, self.provisional) < self.threshold
        if below and Concern.NEGATIVE not in found:
            found.append(Concern.BELOW_THRESHOLD)
        if not below and self.crossing_in_days is not None and self.crossing_in_days <= SOON_DAYS:
            found.append(Concern.CROSSING_SOON)
        return tuple(found)

    @property
    def urgency(self) -> int:
        """The rank of the most urgent concern (0 = negative), len(Concern) when none."""
        return min((c.rank for c in self.concerns), default=len(Concern))


@dataclass(frozen=True, slots=True)
class BurnPoint:
    """The settled balance at the end of `day`, in the budget's unit; a budget's series is in date
    order and ends today at the settled balance (lines count on the day their entry was worked)."""

    day: date
    balance: Decimal


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
    automatic top-up is coming, when a guardrail holds it; `today` is the budget's local day, where
    the burn series ends and the forecast starts (None: the series' last day)."""

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
    today: date | None = None


@dataclass(frozen=True, slots=True)
class StatementPeriod:
    """An inclusive range of days, named as people write it: 2026-11, 2026-Q4, 2026 or a range."""

    start: date
    end: date
    label: str


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One change to the balance within the period: a subtraction, its adjustment or reversal, a
    correction. `change` is signed, in the budget's unit; `amount` is signed money. `day` is the
    day the line counts on (the day its entry was worked); `corrects` names the closed month that a
    late correction corrects ('2026-10'), None otherwise."""

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
    corrects: str | None = None


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
