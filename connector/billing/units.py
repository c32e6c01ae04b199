"""The unit a budget is kept in (money in a currency, or hours at an hour price) and its measure.

A balance, a threshold and a top-up are compared as one integer "measure": minor units of the
currency for a money budget, seconds of work for an hours budget. Settings are written by people
as Decimal quantities in the unit (euros, or hours); this module converts both ways exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from connector.billing.errors import InvalidBudget, MoneyError
from connector.billing.money import Money, minor_unit

__all__ = ["SECONDS_PER_HOUR", "BudgetUnit", "UnitKind"]

SECONDS_PER_HOUR = 3600


class UnitKind(StrEnum):
    MONEY = "money"
    HOURS = "hours"


@dataclass(frozen=True, slots=True)
class BudgetUnit:
    """Money in `currency`, or hours whose invoices and money figures use `hour_price`."""

    kind: UnitKind
    currency: str
    hour_price: Money | None = None

    def __post_init__(self) -> None:
        try:
            minor_unit(self.currency)
        except MoneyError as error:
            raise InvalidBudget("currency", str(error)) from None
        if self.kind is UnitKind.HOURS:
            if self.hour_price is None or self.hour_price.amount <= 0:
                raise InvalidBudget(
                    "hour_price", "an hours budget needs a positive hour price for its invoices"
                )
            if self.hour_price.currency != self.currency:
                raise InvalidBudget(
                    "hour_price", f"the hour price must be in the budget currency {self.currency}"
                )
        elif self.hour_price is not None:
            raise InvalidBudget(
                "hour_price", "only an hours budget has an hour price; remove it or set unit = 'hours'"
            )

    @classmethod
    def money(cls, currency: str) -> BudgetUnit:
        return cls(UnitKind.MONEY, currency)

    @classmethod
    def hours(cls, hour_price: Money) -> BudgetUnit:
        return cls(UnitKind.HOURS, hour_price.currency, hour_price)

    @property
    def is_hours(self) -> bool:
        return self.kind is UnitKind.HOURS

    def measure(self, quantity: Decimal) -> int:
        """A quantity written in the unit (euros or hours) as the integer measure, half-up."""
        if self.is_hours:
            return int((quantity * SECONDS_PER_HOUR).to_integral_value(rounding=ROUND_HALF_UP))
        return Money(quantity, self.currency).cents()

    def quantity(self, measure: int) -> Decimal:
        """The measure back as a quantity in the unit: euros (exact), or hours (exact fraction)."""
        if self.is_hours:
            return Decimal(measure) / SECONDS_PER_HOUR
        return Money.from_cents(measure, self.currency).amount

    def money_of_seconds(self, seconds: int) -> Money:
        """What `seconds` of an hours budget are worth at its hour price, half-up to cents."""
        if self.hour_price is None:
            raise InvalidBudget("hour_price", "a money budget has no hour price to value hours with")
        return Money(self.hour_price.amount * seconds / SECONDS_PER_HOUR, self.currency).rounded()

    def format(self, measure: int) -> str:
        """'EUR 12.50' for money, '7.25 h' for hours (two decimals, half-up)."""
        if self.is_hours:
            hours = self.quantity(measure).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            return f"{hours} h"
        return Money.from_cents(measure, self.currency).format()
