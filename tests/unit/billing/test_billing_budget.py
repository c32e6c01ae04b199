"""Budgets as values: field and unit validation, measures, and the days a budget covers.

The billing domain never reads a clock: every instant and day below is handed to it (`at=`,
`today=`), so these tests hold on any date.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from billing_factories import budget, eur

from connector.billing.budget import (
    CreditOn,
    DeficitPolicy,
    Guardrails,
    PeriodCadence,
    PeriodSettings,
    ReplenishMode,
    ReplenishSettings,
    RolloverPolicy,
    SubtractionMode,
)
from connector.billing.errors import InvalidBudget
from connector.billing.money import Money
from connector.billing.rules import SubtractionRule
from connector.billing.units import BudgetUnit, UnitKind

AUTO = ReplenishSettings(mode=ReplenishMode.AUTO, fixed_amount=Decimal(1), department_id="d", tax_rate_id="t")
MONTHLY = PeriodSettings(cadence=PeriodCadence.MONTH, allowance=Decimal(10))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"end": date(2025, 1, 1)}, "end"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"threshold": Decimal(-1)}, "threshold"),
        ({"opening_balance": Decimal(-1)}, "opening_balance"),
        ({"mode": SubtractionMode.AUTO}, "rules"),
        ({"rules": (SubtractionRule("a"), SubtractionRule("a"))}, "rules"),
        ({"replenish": ReplenishSettings(mode=ReplenishMode.AUTO)}, "replenish"),
        ({"replenish": replace(AUTO, tax_rate_id=None)}, "replenish.tax_rate_id"),
        ({"replenish": replace(AUTO, target_balance=Decimal(5))}, "replenish"),
        ({"replenish": replace(AUTO, line_text="{nope}")}, "replenish.line_text"),
        ({"replenish": replace(AUTO, book=False, credit_on=CreditOn.PAID)}, "replenish.credit_on"),
        ({"periods": PeriodSettings(cadence=PeriodCadence.MONTH)}, "periods.allowance"),
        ({"periods": replace(MONTHLY, rollover=RolloverPolicy.CAPPED)}, "periods.rollover_cap"),
        (
            {"periods": replace(MONTHLY, rollover=RolloverPolicy.CAPPED, rollover_cap_share=Decimal(2))},
            "periods.rollover_cap_share",
        ),
        ({"periods": replace(MONTHLY, deficit=DeficitPolicy.WRITEOFF)}, "periods.writeoff_approved_by"),
        ({"periods": replace(MONTHLY, anchor=date(2025, 1, 1))}, "periods.anchor"),
        ({"guardrails": Guardrails(veto_hours=-1)}, "guardrails.veto_hours"),
        ({"guardrails": Guardrails(monthly_cap=Decimal(0))}, "guardrails.monthly_cap"),
    ],
)
def test_budget_validation_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidBudget) as caught:
        budget(**changes)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("kind", "currency", "price", "field"),
    [
        (UnitKind.HOURS, "EUR", None, "hour_price"),
        (UnitKind.HOURS, "EUR", Money.of("80", "USD"), "hour_price"),
        (UnitKind.MONEY, "EUR", Money.of("80", "EUR"), "hour_price"),
        (UnitKind.MONEY, "XXX", None, "currency"),
    ],
)
def test_budget_unit_validation(kind: UnitKind, currency: str, price: Money | None, field: str) -> None:
    with pytest.raises(InvalidBudget) as caught:
        BudgetUnit(kind, currency, price)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("unit", "quantity", "measure"),
    [
        (BudgetUnit.money("EUR"), Decimal("12.345"), 1235),
        (BudgetUnit.hours(eur("80")), Decimal("1.5"), 5400),
        (BudgetUnit.hours(eur("80")), Decimal("0.0001"), 0),
    ],
)
def test_budget_unit_measure_converts_quantities(unit: BudgetUnit, quantity: Decimal, measure: int) -> None:
    assert unit.measure(quantity) == measure


def test_budget_covers_its_dates_inclusive() -> None:
    b = budget(end=date(2026, 6, 30))
    assert [
        b.covers(d) for d in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 6, 30), date(2026, 7, 1))
    ] == [
        False,
        True,
        True,
        False,
    ]
