"""The ledger: append-only lines whose sum is a budget's balance, and the lines' constructors.

Every line carries its amount in money (signed, rounded) and in seconds (the measure of an hours
budget; for a money budget, the rounded duration of entry lines), who or what made it, when, and a
deterministic `source_key`: storage makes the key unique, so applying the same decision twice
(a replayed webhook, a second instance) fails instead of counting twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from connector.billing.budget import Budget
from connector.billing.errors import InvalidBudget
from connector.billing.money import Money
from connector.billing.rules import RuleMatch
from connector.billing.units import BudgetUnit
from connector.billing.valuation import Valuation

__all__ = [
    "CREDIT_KINDS",
    "ENTRY_KINDS",
    "Balance",
    "Detail",
    "LedgerLine",
    "LineKind",
    "correction_line",
    "credit_reversal_line",
    "entry_line",
    "opening_line",
    "provisional_balance",
    "settled_balance",
    "topup_credit_line",
    "unit_line",
]

Detail = str | int | bool | None


class LineKind(StrEnum):
    OPENING = "opening"
    TOPUP_CREDIT = "topup_credit"
    SUBTRACTION = "subtraction"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"
    CORRECTION = "correction"
    CREDIT_REVERSAL = "credit_reversal"
    PERIOD_CLOSE = "period_close"
    PERIOD_GRANT = "period_grant"
    EXPIRY = "expiry"
    OVERAGE = "overage"
    WRITEOFF = "writeoff"


ENTRY_KINDS = frozenset({LineKind.SUBTRACTION, LineKind.ADJUSTMENT, LineKind.REVERSAL})
CREDIT_KINDS = frozenset(
    {LineKind.OPENING, LineKind.TOPUP_CREDIT, LineKind.PERIOD_GRANT, LineKind.OVERAGE, LineKind.WRITEOFF}
)


@dataclass(frozen=True)
class LedgerLine:
    """One appended change to a budget's balance; never edited, only followed by another line.

    `at` is when the line was recorded; `effective_on`, when a read filled it in, is the local day
    the line counts on (`connector.budgets.line_dates`): a subtraction, its adjustment or its
    reversal belongs to the day its time entry was worked, in the budget's time zone, whenever it
    was recorded; a credit, top-up or period line to its own effective date. None: the local
    day of `at`.
    """

    budget_id: str
    kind: LineKind
    amount: Money
    seconds: int
    source_key: str
    actor: str
    at: datetime
    entry_id: str | None = None
    invoice_id: str | None = None
    valuation: Valuation | None = None
    rule: RuleMatch | None = None
    reason: str = ""
    details: Mapping[str, Detail] = field(default_factory=dict)
    effective_on: date | None = None

    def __post_init__(self) -> None:
        if self.at.utcoffset() is None:
            raise InvalidBudget("ledger.at", f"line {self.source_key} has a naive timestamp")
        if not self.amount.is_rounded():
            raise InvalidBudget(
                "ledger.amount", f"line {self.source_key} amount {self.amount.amount} is not rounded"
            )

    def measure(self, unit: BudgetUnit) -> int:
        """This line in the budget's measure: seconds for an hours budget, cents for money."""
        return self.seconds if unit.is_hours else self.amount.cents()

    def counts_on(self, budget: Budget) -> date:
        """The local day the line counts on: `effective_on`, else the budget's local day of `at`."""
        return self.effective_on or self.at.astimezone(budget.zone).date()


@dataclass(frozen=True, slots=True)
class Balance:
    """A balance in the budget's measure, with both figures people ask for."""

    unit: BudgetUnit
    measure: int

    @property
    def quantity(self) -> Decimal:
        """Euros for a money budget, hours for an hours budget."""
        return self.unit.quantity(self.measure)

    @property
    def money(self) -> Money:
        if self.unit.is_hours:
            return self.unit.money_of_seconds(self.measure)
        return Money.from_cents(self.measure, self.unit.currency)

    def hours_at(self, rate: Money | None) -> Decimal | None:
        """The balance in hours: exact for an hours budget, at `rate` (the default) for money."""
        if self.unit.is_hours:
            return self.quantity
        if rate is None or rate.amount == 0:
            return None
        return self.money.amount / rate.amount

    def format(self) -> str:
        return self.unit.format(self.measure)


def settled_balance(lines: Iterable[LedgerLine], unit: BudgetUnit) -> Balance:
    """The sum of the ledger: the only truth about what a budget holds."""
    return Balance(unit, sum(line.measure(unit) for line in lines))


def provisional_balance(settled: Balance, pending: Iterable[Valuation]) -> Balance:
    """The settled balance minus the pending entries at their value: what is coming."""
    unit = settled.unit
    coming = sum(v.rounded_seconds if unit.is_hours else v.amount.cents() for v in pending)
    return Balance(unit, settled.measure - coming)


def unit_line(
    budget: Budget,
    kind: LineKind,
    measure: int,
    *,
    source_key: str,
    actor: str,
    at: datetime,
    invoice_id: str | None = None,
    reason: str = "",
    details: Mapping[str, Detail] | None = None,
) -> LedgerLine:
    """A line worth `measure` in the budget's unit, with both its money and its seconds set."""
    unit = budget.unit
    if unit.is_hours:
        amount, seconds = unit.money_of_seconds(measure), measure
    else:
        amount, seconds = Money.from_cents(measure, unit.currency), 0
    return LedgerLine(
        budget_id=budget.id,
        kind=kind,
        amount=amount,
        seconds=seconds,
        source_key=source_key,
        actor=actor,
        at=at,
        invoice_id=invoice_id,
        reason=reason,
        details=details or {},
    )


def opening_line(budget: Budget, *, actor: str, at: datetime) -> LedgerLine:
    return unit_line(
        budget, LineKind.OPENING, budget.opening_measure, source_key=f"open:{budget.id}", actor=actor, at=at
    )


def topup_credit_line(
    budget: Budget, *, invoice_id: str, quantity: Decimal, actor: str, at: datetime
) -> LedgerLine:
    """The credit of a booked or paid top-up invoice: exactly one per invoice and budget."""
    return unit_line(
        budget,
        LineKind.TOPUP_CREDIT,
        budget.unit.measure(quantity),
        source_key=f"credit:{budget.id}:{invoice_id}",
        actor=actor,
        at=at,
        invoice_id=invoice_id,
    )


def credit_reversal_line(
    credit: LedgerLine, budget: Budget, *, why: str, actor: str, at: datetime
) -> LedgerLine:
    """Undo a top-up credit (credit note booked, payment removed), naming the invoice."""
    if credit.kind is not LineKind.TOPUP_CREDIT or credit.invoice_id is None:
        raise InvalidBudget("ledger.kind", f"line {credit.source_key} is not a top-up credit")
    return unit_line(
        budget,
        LineKind.CREDIT_REVERSAL,
        -credit.measure(budget.unit),
        source_key=f"uncredit:{budget.id}:{credit.invoice_id}",
        actor=actor,
        at=at,
        invoice_id=credit.invoice_id,
        reason=f"{why} on invoice {credit.invoice_id}",
    )


def correction_line(
    budget: Budget, *, quantity: Decimal, reason: str, request_id: str, actor: str, at: datetime
) -> LedgerLine:
    """A person's manual correction; `request_id` makes a retried command count once."""
    if not reason.strip():
        raise InvalidBudget("reason", "a manual correction needs a reason the customer can read")
    measure = budget.unit.measure(quantity)
    if measure == 0:
        raise InvalidBudget("amount", "a correction of zero changes nothing")
    return unit_line(
        budget,
        LineKind.CORRECTION,
        measure,
        source_key=f"corr:{budget.id}:{request_id}",
        actor=actor,
        at=at,
        reason=reason,
    )


def entry_line(
    budget: Budget,
    kind: LineKind,
    *,
    entry_id: str,
    amount: Money,
    seconds: int,
    key: str,
    actor: str,
    at: datetime,
    valuation: Valuation | None = None,
    rule: RuleMatch | None = None,
    reason: str = "",
    details: Mapping[str, Detail] | None = None,
) -> LedgerLine:
    """A line about one time entry (subtraction, adjustment, reversal) with its explanation."""
    return LedgerLine(
        budget_id=budget.id,
        kind=kind,
        amount=amount,
        seconds=seconds,
        source_key=f"{kind.value}:{budget.id}:{entry_id}:{key}",
        actor=actor,
        at=at,
        entry_id=entry_id,
        valuation=valuation,
        rule=rule,
        reason=reason,
        details=details or {},
    )
