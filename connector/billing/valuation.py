"""Valuation: what a time entry is worth to a budget, and why.

The rate is the first that applies of: the budget's rate for the entry's user, for its work type,
the budget's default rate, the hourly rate Teamleader holds for the entry. An hours budget values
every entry at its hour price, because it subtracts hours, not rates. The duration is rounded up
to the budget's increment with an optional minimum. An entry without a rate is `NeedsRate`, never
zero. The `Valuation` is stored on the ledger line so a statement can explain every figure.

A sync values a million entries with a handful of rates and rounded durations, so the price of
(rate, rounded seconds) is memoised: it is a pure function of its arguments, computed exactly as
before (Decimal, half-up to cents), only not again for the next entry with the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from connector.billing.entries import TimeEntry
from connector.billing.errors import InvalidBudget
from connector.billing.money import Money
from connector.billing.units import SECONDS_PER_HOUR, BudgetUnit

__all__ = ["NeedsRate", "RateSource", "Valuation", "ValuationSettings", "round_duration", "value_entry"]


class RateSource(StrEnum):
    USER = "user"
    WORK_TYPE = "work_type"
    BUDGET_DEFAULT = "budget_default"
    TEAMLEADER = "teamleader"
    HOUR_PRICE = "hour_price"


@dataclass(frozen=True)
class ValuationSettings:
    """A budget's rates and rounding; increments and minimums are in seconds (0 = none)."""

    default_rate: Money | None = None
    user_rates: Mapping[str, Money] = field(default_factory=dict)
    work_type_rates: Mapping[str, Money] = field(default_factory=dict)
    rounding_increment_seconds: int = 0
    minimum_seconds: int = 0

    def check(self, currency: str) -> None:
        """Raise `InvalidBudget` naming the first rate or rounding setting that cannot work."""
        if self.rounding_increment_seconds < 0:
            raise InvalidBudget("valuation.rounding_minutes", "the rounding increment cannot be negative")
        if self.minimum_seconds < 0:
            raise InvalidBudget("valuation.minimum_minutes", "the minimum per entry cannot be negative")
        rates = [("valuation.default_rate", self.default_rate)]
        rates += [(f"valuation.user_rates.{k}", v) for k, v in self.user_rates.items()]
        rates += [(f"valuation.work_type_rates.{k}", v) for k, v in self.work_type_rates.items()]
        for name, rate in rates:
            if rate is None:
                continue
            if rate.currency != currency:
                raise InvalidBudget(name, f"rate {rate} is not in the budget currency {currency}")
            if rate.amount < 0:
                raise InvalidBudget(name, f"rate {rate} is negative")


@dataclass(frozen=True, slots=True)
class Valuation:
    """The figures behind one subtraction: what was rounded, at which rate from where, for how much."""

    duration_seconds: int
    rounded_seconds: int
    rate: Money
    rate_source: RateSource
    amount: Money

    @property
    def hours(self) -> Decimal:
        return Decimal(self.rounded_seconds) / SECONDS_PER_HOUR

    def explain(self) -> str:
        return (
            f"{self.duration_seconds}s rounded to {self.rounded_seconds}s ({_hours_text(self.rounded_seconds)})"
            f" x {_rate_text(self.rate, self.rate_source)} = {self.amount}"
        )


@lru_cache(maxsize=4096)
def _hours_text(rounded_seconds: int) -> str:
    return f"{Decimal(rounded_seconds) / SECONDS_PER_HOUR:.2f} h"


@lru_cache(maxsize=4096)
def _rate_text(rate: Money, source: RateSource) -> str:
    return f"{rate} ({source.value})"


@lru_cache(maxsize=65536)
def _price(rate: Money, rounded_seconds: int) -> Money:
    """What `rounded_seconds` at hourly `rate` cost, half-up to cents."""
    return Money(rate.amount * rounded_seconds / SECONDS_PER_HOUR, rate.currency).rounded()


@dataclass(frozen=True, slots=True)
class NeedsRate:
    """No rate applies: the entry is shown as needing one and is not subtracted."""

    entry_id: str
    rounded_seconds: int

    def explain(self) -> str:
        return (
            f"time entry {self.entry_id} has no rate: set a default, user or work-type rate on the"
            " budget, or an hourly rate in Teamleader"
        )


def round_duration(seconds: int, increment: int, minimum: int = 0) -> int:
    """Round up to a multiple of `increment` (0 = exact), then raise to `minimum` if below it."""
    rounded = seconds if increment <= 0 else -(-seconds // increment) * increment
    return max(rounded, minimum) if seconds > 0 else rounded


def _rate(entry: TimeEntry, settings: ValuationSettings) -> tuple[Money, RateSource] | None:
    user_rate = settings.user_rates.get(entry.user_id)
    if user_rate is not None:
        return user_rate, RateSource.USER
    if entry.work_type_id is not None and entry.work_type_id in settings.work_type_rates:
        return settings.work_type_rates[entry.work_type_id], RateSource.WORK_TYPE
    if settings.default_rate is not None:
        return settings.default_rate, RateSource.BUDGET_DEFAULT
    if entry.hourly_rate is not None:
        return entry.hourly_rate, RateSource.TEAMLEADER
    return None


def value_entry(entry: TimeEntry, settings: ValuationSettings, unit: BudgetUnit) -> Valuation | NeedsRate:
    """Value `entry` for a budget; a Teamleader rate in another currency does not apply."""
    rounded = round_duration(
        entry.duration_seconds, settings.rounding_increment_seconds, settings.minimum_seconds
    )
    found: tuple[Money, RateSource] | None
    if unit.hour_price is not None:
        found = unit.hour_price, RateSource.HOUR_PRICE
    else:
        found = _rate(entry, settings)
    if found is None or found[0].currency != unit.currency:
        return NeedsRate(entry.id, rounded)
    rate, source = found
    return Valuation(entry.duration_seconds, rounded, rate, source, _price(rate, rounded))
