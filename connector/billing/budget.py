"""The budget: what a customer prepaid, how its time is valued and subtracted, and how it refills.

Budgets are immutable values with a `version` (optimistic concurrency in storage). Settings that
people write (threshold, amounts, allowance, caps) are Decimal quantities in the budget's unit:
money in its currency, or hours for an hours budget; `BudgetUnit.measure` turns them into the
integer measure that balances are compared in. Validation raises `InvalidBudget` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.billing.entries import CustomerRef
from connector.billing.errors import InvalidBudget
from connector.billing.rules import SubtractionRule
from connector.billing.units import BudgetUnit
from connector.billing.valuation import ValuationSettings

__all__ = [
    "DEFAULT_LINE_TEXT",
    "DEFAULT_TIME_ZONE",
    "Budget",
    "BudgetStatus",
    "CreditOn",
    "DeficitPolicy",
    "Guardrails",
    "PeriodCadence",
    "PeriodSettings",
    "ReplenishMode",
    "ReplenishSettings",
    "RolloverPolicy",
    "SubtractionMode",
]

DEFAULT_TIME_ZONE = "Europe/Brussels"
DEFAULT_LINE_TEXT = "Prepaid budget top-up: {budget}"


class BudgetStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class SubtractionMode(StrEnum):
    MANUAL = "manual"
    AUTO = "auto"


class ReplenishMode(StrEnum):
    ONE_OFF = "one-off"
    AUTO = "auto"


class CreditOn(StrEnum):
    BOOKED = "booked"
    PAID = "paid"


class PeriodCadence(StrEnum):
    NONE = "none"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class RolloverPolicy(StrEnum):
    NONE = "none"
    ALL = "all"
    CAPPED = "capped"


class DeficitPolicy(StrEnum):
    CARRY = "carry"
    OVERAGE = "overage"
    WRITEOFF = "writeoff"


def _positive(name: str, value: Decimal | None) -> None:
    if value is not None and value <= 0:
        raise InvalidBudget(name, f"must be greater than zero, got {value}")


@dataclass(frozen=True, slots=True)
class ReplenishSettings:
    """Below the threshold: warn only (one-off), or draft a top-up invoice (auto) for a fixed
    amount or for what restores `target_balance`, with the Teamleader invoice settings."""

    mode: ReplenishMode = ReplenishMode.ONE_OFF
    fixed_amount: Decimal | None = None
    target_balance: Decimal | None = None
    department_id: str | None = None
    tax_rate_id: str | None = None
    payment_term_days: int = 30
    line_text: str = DEFAULT_LINE_TEXT
    book: bool = True
    credit_on: CreditOn = CreditOn.BOOKED

    def check(self) -> None:
        _positive("replenish.fixed_amount", self.fixed_amount)
        _positive("replenish.target_balance", self.target_balance)
        if self.fixed_amount is not None and self.target_balance is not None:
            raise InvalidBudget("replenish", "set either fixed_amount or target_balance, not both")
        if self.payment_term_days < 0:
            raise InvalidBudget("replenish.payment_term_days", "cannot be negative")
        if self.mode is ReplenishMode.AUTO:
            if self.fixed_amount is None and self.target_balance is None:
                raise InvalidBudget("replenish", "auto top-ups need fixed_amount or target_balance")
            for name in ("department_id", "tax_rate_id"):
                if not getattr(self, name):
                    raise InvalidBudget(
                        f"replenish.{name}", "auto top-ups need the Teamleader id to invoice with"
                    )
        try:
            self.line_text.format(budget="", customer="", quantity="", amount="")
        except (KeyError, IndexError, ValueError) as error:
            raise InvalidBudget(
                "replenish.line_text",
                f"unknown placeholder {error}; use {{budget}}, {{customer}}, {{quantity}}, {{amount}}",
            ) from None
        if self.credit_on is CreditOn.PAID and not self.book:
            raise InvalidBudget(
                "replenish.credit_on", "an invoice that is never booked cannot be paid; set book = true"
            )


@dataclass(frozen=True, slots=True)
class PeriodSettings:
    """Renewal (issue 11): each period grants `allowance`; surplus rolls over, deficit is handled."""

    cadence: PeriodCadence = PeriodCadence.NONE
    allowance: Decimal | None = None
    anchor: date | None = None
    rollover: RolloverPolicy = RolloverPolicy.ALL
    rollover_cap: Decimal | None = None
    rollover_cap_share: Decimal | None = None
    deficit: DeficitPolicy = DeficitPolicy.CARRY
    writeoff_approved_by: str | None = None
    invoice_grant: bool = False

    def check(self) -> None:
        if self.cadence is PeriodCadence.NONE:
            return
        if self.allowance is None:
            raise InvalidBudget(
                "periods.allowance", f"a {self.cadence.value}ly budget needs an allowance per period"
            )
        _positive("periods.allowance", self.allowance)
        if self.rollover is RolloverPolicy.CAPPED:
            if (self.rollover_cap is None) == (self.rollover_cap_share is None):
                raise InvalidBudget(
                    "periods.rollover_cap", "a capped rollover needs exactly one of cap or cap_share"
                )
            _positive("periods.rollover_cap", self.rollover_cap)
            share = self.rollover_cap_share
            if share is not None and not 0 < share <= 1:
                raise InvalidBudget(
                    "periods.rollover_cap_share", "must be a share of the allowance in (0, 1]"
                )
        if self.deficit is DeficitPolicy.WRITEOFF and not self.writeoff_approved_by:
            raise InvalidBudget(
                "periods.writeoff_approved_by", "a write-off policy names the person who chose it"
            )


@dataclass(frozen=True, slots=True)
class Guardrails:
    """Limits on automatic top-ups (issue 10); None or 0 switches a limit off."""

    monthly_cap: Decimal | None = None
    no_topup_days_before_end: int = 0
    pause_after_failures: int = 3
    veto_hours: int = 0

    def check(self) -> None:
        _positive("guardrails.monthly_cap", self.monthly_cap)
        for name in ("no_topup_days_before_end", "pause_after_failures", "veto_hours"):
            if getattr(self, name) < 0:
                raise InvalidBudget(f"guardrails.{name}", "cannot be negative")


@dataclass(frozen=True)
class Budget:
    """A customer's prepaid budget; one active budget per customer at a time by default.

    `migrated_on` is the day the customer moved over from Teamleader's own prepaid feature:
    earlier time was settled there and is never subtracted here.
    """

    id: str
    customer: CustomerRef
    name: str
    unit: BudgetUnit
    start: date
    end: date | None = None
    status: BudgetStatus = BudgetStatus.ACTIVE
    time_zone: str = DEFAULT_TIME_ZONE
    valuation: ValuationSettings = field(default_factory=ValuationSettings)
    mode: SubtractionMode = SubtractionMode.MANUAL
    rules: tuple[SubtractionRule, ...] = ()
    threshold: Decimal = Decimal(0)
    replenish: ReplenishSettings = field(default_factory=ReplenishSettings)
    opening_balance: Decimal = Decimal(0)
    periods: PeriodSettings = field(default_factory=PeriodSettings)
    guardrails: Guardrails = field(default_factory=Guardrails)
    migrated_on: date | None = None
    show_people_to_customer: bool = False
    version: int = 1

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidBudget("name", "a budget needs a name people recognise")
        if self.end is not None and self.end < self.start:
            raise InvalidBudget("end", f"ends {self.end}, before it starts {self.start}")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidBudget(
                "time_zone", f"unknown time zone {self.time_zone!r}; use e.g. 'Europe/Brussels'"
            ) from None
        if self.threshold < 0:
            raise InvalidBudget("threshold", "cannot be negative; 0 means top up when the budget runs out")
        if self.opening_balance < 0:
            raise InvalidBudget("opening_balance", "cannot be negative; record a debt as a correction")
        if self.mode is SubtractionMode.AUTO and not self.rules:
            raise InvalidBudget(
                "rules", "auto mode needs at least one rule (an empty rule matches every entry)"
            )
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise InvalidBudget("rules", "rule ids must be unique within a budget")
        self.valuation.check(self.unit.currency)
        self.replenish.check()
        self.periods.check()
        self.guardrails.check()
        if self.migrated_on is not None and self.migrated_on < self.start:
            raise InvalidBudget(
                "migrated_on", "the move from Teamleader prepaid cannot precede the budget start"
            )
        if self.periods.anchor is not None and self.periods.anchor < self.start:
            raise InvalidBudget("periods.anchor", "periods cannot start before the budget")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def threshold_measure(self) -> int:
        return self.unit.measure(self.threshold)

    @property
    def opening_measure(self) -> int:
        return self.unit.measure(self.opening_balance)

    def covers(self, day: date) -> bool:
        """Whether a day (local to the budget) lies within the budget's dates, both inclusive."""
        return self.start <= day and (self.end is None or day <= self.end)
