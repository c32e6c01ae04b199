from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.billing.errors import MoneyError
from connector.billing.money import Money


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        ("0.005", 1),
        ("-0.005", -1),
        ("0.004", 0),
        ("12.345", 1235),
        ("12.344", 1234),
        ("-12.345", -1235),
        ("7", 700),
    ],
)
def test_money_rounds_half_up_to_cents(amount: str, cents: int) -> None:
    assert Money.of(amount, "EUR").cents() == cents


def test_money_zero_exponent_currency_rounds_to_whole_units() -> None:
    assert Money.of("99.5", "JPY").cents() == 100
    assert Money.from_cents(100, "JPY").amount == Decimal(100)


@pytest.mark.parametrize("bad", [1.5, 0.1, True])
def test_money_rejects_floats_and_bools_loudly(bad: object) -> None:
    with pytest.raises(MoneyError, match="Decimal or a string"):
        Money.of(bad, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity"])
def test_money_rejects_non_numbers(bad: str) -> None:
    with pytest.raises(MoneyError):
        Money.of(bad, "EUR")


def test_money_refuses_unknown_currency_and_mixing() -> None:
    with pytest.raises(MoneyError, match="unknown currency 'XYZ'"):
        Money.of("1", "XYZ")
    with pytest.raises(MoneyError, match="cannot combine EUR with USD"):
        _ = Money.of("1", "EUR") + Money.of("1", "USD")
    with pytest.raises(MoneyError):
        _ = Money.of("1", "EUR") < Money.of("1", "USD")


@pytest.mark.parametrize(
    ("amount", "text"), [("1234.5", "EUR 1,234.50"), ("-12", "EUR -12.00"), ("0.004", "EUR 0.00")]
)
def test_money_formats_rounded_with_code(amount: str, text: str) -> None:
    assert Money.of(amount, "EUR").format() == text


def test_money_arithmetic_stays_exact() -> None:
    total = Money.of("0.1", "EUR") + Money.of("0.2", "EUR")
    assert total == Money.of("0.3", "EUR")
    assert -total == Money.of("-0.3", "EUR")
    assert Money.of("90", "EUR") * Decimal("1.25") == Money.of("112.5", "EUR")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_money_cents_round_trip(cents: int) -> None:
    assert Money.from_cents(cents, "EUR").cents() == cents
