from __future__ import annotations

from decimal import Decimal

import pytest
from billing_factories import budget, entry, eur
from hypothesis import given
from hypothesis import strategies as st

from connector.billing.errors import InvalidBudget
from connector.billing.money import Money
from connector.billing.units import BudgetUnit
from connector.billing.valuation import (
    NeedsRate,
    RateSource,
    Valuation,
    ValuationSettings,
    round_duration,
    value_entry,
)

MONEY = BudgetUnit.money("EUR")


@pytest.mark.parametrize(
    ("seconds", "increment", "minimum", "expected"),
    [
        (0, 900, 0, 0),
        (1, 900, 0, 900),
        (900, 900, 0, 900),
        (901, 900, 0, 1800),
        (100, 0, 0, 100),
        (60, 900, 1800, 1800),
        (0, 900, 1800, 0),
        (2000, 900, 1800, 2700),
    ],
)
def test_valuation_rounds_up_to_increment_with_minimum(
    seconds: int, increment: int, minimum: int, expected: int
) -> None:
    assert round_duration(seconds, increment, minimum) == expected


SETTINGS = ValuationSettings(
    default_rate=eur("90"),
    user_rates={"u-ann": eur("120")},
    work_type_rates={"wt-design": eur("100")},
)


@pytest.mark.parametrize(
    ("user", "work_type", "teamleader_rate", "settings", "rate", "source"),
    [
        ("u-ann", "wt-design", eur("75"), SETTINGS, "120", RateSource.USER),
        ("u-bob", "wt-design", eur("75"), SETTINGS, "100", RateSource.WORK_TYPE),
        ("u-bob", "wt-dev", eur("75"), SETTINGS, "90", RateSource.BUDGET_DEFAULT),
        ("u-bob", "wt-dev", eur("75"), ValuationSettings(), "75", RateSource.TEAMLEADER),
    ],
)
def test_valuation_rate_precedence(
    user: str,
    work_type: str,
    teamleader_rate: Money,
    settings: ValuationSettings,
    rate: str,
    source: RateSource,
) -> None:
    e = entry(user_id=user, work_type_id=work_type, hourly_rate=teamleader_rate)
    result = value_entry(e, settings, MONEY)
    assert isinstance(result, Valuation)
    assert (result.rate, result.rate_source) == (eur(rate), source)


@pytest.mark.parametrize("rate", [None, Money.of("80", "USD")])
def test_valuation_without_a_rate_needs_one_never_zero(rate: Money | None) -> None:
    result = value_entry(entry(hourly_rate=rate), ValuationSettings(rounding_increment_seconds=900), MONEY)
    assert result == NeedsRate("e1", 3600)
    assert "no rate" in result.explain()


def test_valuation_amount_half_up_to_cents() -> None:
    settings = ValuationSettings(default_rate=eur("100.01"), rounding_increment_seconds=60)
    result = value_entry(entry(duration_seconds=30), settings, MONEY)
    assert isinstance(result, Valuation)
    assert result.rounded_seconds == 60
    assert result.amount == eur("1.67")
    assert result.hours == Decimal(60) / 3600


def test_valuation_hours_budget_uses_hour_price() -> None:
    unit = BudgetUnit.hours(eur("85"))
    result = value_entry(
        entry(duration_seconds=1000), ValuationSettings(rounding_increment_seconds=900), unit
    )
    assert isinstance(result, Valuation)
    assert (result.rounded_seconds, result.rate_source, result.amount) == (
        1800,
        RateSource.HOUR_PRICE,
        eur("42.50"),
    )


@given(
    seconds=st.integers(min_value=0, max_value=24 * 3600),
    increment=st.sampled_from([0, 60, 300, 900, 3600]),
    minimum=st.sampled_from([0, 900, 1800]),
    rate_cents=st.integers(min_value=0, max_value=100_000),
)
def test_valuation_matches_integer_reference(
    seconds: int, increment: int, minimum: int, rate_cents: int
) -> None:
    settings = ValuationSettings(
        default_rate=Money.from_cents(rate_cents, "EUR"),
        rounding_increment_seconds=increment,
        minimum_seconds=minimum,
    )
    result = value_entry(entry(duration_seconds=seconds), settings, MONEY)
    rounded = seconds
    if increment:
        rounded = ((seconds + increment - 1) // increment) * increment
    if seconds > 0:
        rounded = max(rounded, minimum)
    numerator = rounded * rate_cents
    reference_cents = (2 * numerator + 3600) // (2 * 3600)
    assert isinstance(result, Valuation)
    assert result.rounded_seconds == rounded
    assert result.amount.cents() == reference_cents


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (ValuationSettings(default_rate=Money.of("9", "USD")), "valuation.default_rate"),
        (ValuationSettings(user_rates={"u": eur("-1")}), "valuation.user_rates.u"),
        (ValuationSettings(rounding_increment_seconds=-1), "valuation.rounding_minutes"),
    ],
)
def test_valuation_settings_are_validated_with_the_field(settings: ValuationSettings, field: str) -> None:
    with pytest.raises(InvalidBudget) as caught:
        budget(valuation=settings)
    assert caught.value.field == field
