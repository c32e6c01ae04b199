"""Money: an exact Decimal amount in an ISO 4217 currency, and its integer minor units.

The database stores minor units ("cents") so that a balance is an exact integer sum on SQLite
and PostgreSQL alike; the domain computes in Decimal and rounds half-up to the currency's minor
unit only where a figure becomes final (a ledger line, a formatted amount). Floats are refused
at construction: a binary fraction of a cent is exactly the error this product must never make.

Money is built millions of times when a sync applies rules to every entry, so the checks are
cheap where they can be: a value that is already a finite `Decimal` skips conversion, each
currency's quantum is computed once, and results of arithmetic on checked values (same currency,
Decimal operands) are built without checking again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from connector.billing.errors import MoneyError

__all__ = ["CURRENCY_EXPONENTS", "Money", "minor_unit", "to_decimal"]

CURRENCY_EXPONENTS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "RON": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "ZAR": 2,
    "JPY": 0,
    "KRW": 0,
    "ISK": 0,
}


_QUANTA: dict[str, Decimal] = {}


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency` (Decimal("0.01") for EUR), checking the code is known."""
    quantum = _QUANTA.get(currency)
    if quantum is not None:
        return quantum
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None:
        known = ", ".join(sorted(CURRENCY_EXPONENTS))
        raise MoneyError(f"unknown currency {currency!r}; use an ISO 4217 code among: {known}")
    return _QUANTA.setdefault(currency, Decimal(1).scaleb(-exponent))


def to_decimal(value: object, what: str = "amount") -> Decimal:
    """Turn an int, a Decimal or a numeric string into a finite Decimal; refuse floats loudly."""
    if type(value) is Decimal and value.is_finite():
        return value
    if isinstance(value, (bool, float)):
        raise MoneyError(
            f"{what} {value!r} is a {type(value).__name__}; pass a Decimal or a string such as '12.50'"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise MoneyError(f"{what} {value!r} is not a number; write it like '12.50'") from None
    else:
        raise MoneyError(f"{what} {value!r} is a {type(value).__name__}, not a Decimal, int or string")
    if not result.is_finite():
        raise MoneyError(f"{what} {value!r} is not a finite number")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency; arithmetic across currencies is refused, never converted."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        amount = self.amount
        if type(amount) is not Decimal or not amount.is_finite():
            object.__setattr__(self, "amount", to_decimal(amount))
        if self.currency not in _QUANTA:
            minor_unit(self.currency)

    @classmethod
    def _checked(cls, amount: Decimal, currency: str) -> Money:
        """A result computed from checked money: a finite Decimal in a known currency."""
        made = object.__new__(cls)
        object.__setattr__(made, "amount", amount)
        object.__setattr__(made, "currency", currency)
        return made

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Build from a Decimal, an int or a string, as a person or a config file writes it."""
        return cls(to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_cents(cls, cents: int, currency: str) -> Money:
        """The inverse of `cents()`: the database's integer minor units back into an amount."""
        if isinstance(cents, bool) or not isinstance(cents, int):
            raise MoneyError(f"minor units must be an int, got {cents!r}")
        return cls._checked(Decimal(cents) * minor_unit(currency), currency)

    def _quantized(self) -> Decimal:
        return self.amount.quantize(_QUANTA[self.currency], rounding=ROUND_HALF_UP)

    def rounded(self) -> Money:
        """Half-up to the currency's minor unit: 0.005 EUR becomes 0.01, -0.005 becomes -0.01."""
        return Money._checked(self._quantized(), self.currency)

    def is_rounded(self) -> bool:
        """True when the amount is a whole number of minor units (a ledger line's amount)."""
        return self.amount == self._quantized()

    def cents(self) -> int:
        """Integer minor units after half-up rounding; what the database stores."""
        return int(self._quantized().scaleb(CURRENCY_EXPONENTS[self.currency]))

    def format(self) -> str:
        """'EUR 1,234.50' / 'EUR -12.00': rounded, grouped, with the code first for any locale."""
        exponent = CURRENCY_EXPONENTS[self.currency]
        return f"{self.currency} {self._quantized():,.{exponent}f}"

    def __str__(self) -> str:
        return self.format()

    def _same(self, other: Money) -> Money:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(
                f"cannot combine {self.currency} with {other.currency}; amounts are never converted"
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money._checked(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money._checked(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money._checked(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor, "factor"), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_negative(self) -> bool:
        return self.amount < 0
