"""Thresholds, top-up amounts, guardrails and the forecast, as of `TODAY`.

The billing domain never reads a clock: every instant and day below is handed to it (`at=`,
`today=`), so these tests hold on any date.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from billing_factories import budget, eur

from connector.billing.budget import Guardrails, ReplenishMode, ReplenishSettings
from connector.billing.forecast import forecast
from connector.billing.ledger import LedgerLine, LineKind, opening_line
from connector.billing.threshold import TopUpBlocked, crossed, topup_amount, topup_blocked
from connector.billing.units import BudgetUnit

AUTO = ReplenishSettings(
    mode=ReplenishMode.AUTO, fixed_amount=Decimal("1000"), department_id="dep-1", tax_rate_id="tax-21"
)
TODAY = date(2026, 3, 31)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(600, 400, True), (500, 499, True), (500, 500, False), (499, 100, False), (400, 600, False)],
)
def test_threshold_crossing_is_from_at_or_above_to_below(before: int, after: int, expected: bool) -> None:
    assert crossed(before, after, 500) is expected


def test_threshold_topup_fixed_amount_for_money() -> None:
    topup = topup_amount(budget(replenish=AUTO), balance=-5000)
    assert topup is not None
    assert (topup.measure, topup.quantity, topup.unit_price, topup.amount) == (
        100000,
        Decimal(1),
        eur("1000"),
        eur("1000"),
    )
    assert topup.line_text == "Prepaid budget top-up: Acme support 2026"


def test_threshold_topup_restores_target_balance() -> None:
    target = replace(AUTO, fixed_amount=None, target_balance=Decimal("2000"))
    topup = topup_amount(budget(replenish=target), balance=45050)
    assert topup is not None and topup.amount == eur("1549.50")
    assert topup_amount(budget(replenish=target), balance=200000) is None


def test_threshold_topup_for_hours_is_hours_at_hour_price() -> None:
    settings = replace(AUTO, fixed_amount=Decimal("10"), line_text="{quantity} for {budget}")
    hours = budget(unit=BudgetUnit.hours(eur("85")), replenish=settings, threshold=Decimal("2"))
    topup = topup_amount(hours, balance=3600)
    assert topup is not None
    assert (topup.quantity, topup.unit_price, topup.amount) == (Decimal(10), eur("85"), eur("850"))
    assert topup.line_text == "10.00 h for Acme support 2026"


@pytest.mark.parametrize(
    ("changes", "state", "blocked"),
    [
        ({}, {}, None),
        ({"replenish": replace(AUTO, mode=ReplenishMode.ONE_OFF)}, {}, TopUpBlocked.NOT_AUTO),
        ({}, {"open_topup": True}, TopUpBlocked.OPEN_TOPUP),
        (
            {"guardrails": Guardrails(monthly_cap=Decimal("1500"))},
            {"invoiced_this_month": 60000},
            TopUpBlocked.MONTHLY_CAP,
        ),
        ({"guardrails": Guardrails(monthly_cap=Decimal("1500"))}, {"invoiced_this_month": 50000}, None),
        (
            {"guardrails": Guardrails(no_topup_days_before_end=14), "end": date(2026, 4, 10)},
            {},
            TopUpBlocked.NEAR_END,
        ),
        ({"guardrails": Guardrails(no_topup_days_before_end=14), "end": date(2026, 4, 30)}, {}, None),
        (
            {"guardrails": Guardrails(pause_after_failures=3)},
            {"consecutive_failures": 3},
            TopUpBlocked.PAUSED,
        ),
        ({"guardrails": Guardrails(pause_after_failures=0)}, {"consecutive_failures": 9}, None),
    ],
)
def test_threshold_guardrails(
    changes: dict[str, object], state: dict[str, object], blocked: TopUpBlocked | None
) -> None:
    b = budget(**({"replenish": AUTO} | changes))
    topup = topup_amount(b, balance=0)
    assert topup is not None
    facts = {"open_topup": False, "invoiced_this_month": 0, "consecutive_failures": 0} | state
    assert topup_blocked(b, topup, today=TODAY, **facts) is blocked  # type: ignore[arg-type]


def _subtraction(day: date, cents: int) -> LedgerLine:
    at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    return LedgerLine(
        "b1", LineKind.SUBTRACTION, eur(str(-cents)) * Decimal("0.01"), 0, f"s{day}", "t", at, "e"
    )


def test_forecast_dates_from_recent_burn() -> None:
    b = budget(replenish=AUTO)
    opening = opening_line(b, actor="cli", at=datetime(2026, 1, 1, tzinfo=UTC))
    burn = [_subtraction(TODAY - timedelta(days=n), 1000) for n in range(30)]
    result = forecast(b, [opening, *burn], today=TODAY, window_days=30)
    assert result.balance == 170000
    assert result.burn_per_day == 1000
    assert result.threshold_date == TODAY + timedelta(days=121)
    assert result.zero_date == TODAY + timedelta(days=170)
    assert result.next_topup_date == result.threshold_date
    assert result.next_topup is not None and result.next_topup.amount == eur("1000")


def test_forecast_ignores_burn_outside_the_window_and_says_no_recent_burn() -> None:
    b = budget()
    old = _subtraction(TODAY - timedelta(days=45), 5000)
    result = forecast(
        b, [opening_line(b, actor="cli", at=datetime(2026, 1, 1, tzinfo=UTC)), old], today=TODAY
    )
    assert result.no_recent_burn
    assert (result.threshold_date, result.zero_date, result.next_topup) == (None, None, None)


def test_forecast_already_below_threshold_is_today_and_no_topup_past_the_end() -> None:
    b = budget(
        replenish=AUTO,
        opening_balance=Decimal("100"),
        end=date(2026, 4, 5),
        guardrails=Guardrails(no_topup_days_before_end=10),
    )
    lines = [opening_line(b, actor="cli", at=datetime(2026, 1, 1, tzinfo=UTC)), _subtraction(TODAY, 3000)]
    result = forecast(b, lines, today=TODAY, window_days=1)
    assert (result.threshold_date, result.zero_date) == (TODAY, TODAY + timedelta(days=3))
    assert result.next_topup is None
