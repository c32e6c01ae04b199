"""The forecast under a top-up hold: no top-up date is promised while a guardrail would refuse it,
the hold says why instead, and the crossing and zero dates stay; one-off budgets never forecast one.

Pure functions, handed their day (`today=TODAY`, five days before a month ends, so a crossing falls
in this month or the next): nothing here reads a clock, and the dates are those of that calendar.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from connector.billing import (
    Budget,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    Forecast,
    Guardrails,
    LedgerLine,
    LineKind,
    Money,
    ReplenishMode,
    ReplenishSettings,
    TopUpBlocked,
    forecast,
)
from connector.billing.forecast import under_hold
from connector.billing.ledger import opening_line
from connector.budgets.forecasting import project_topups

TODAY = date(2026, 11, 25)
AUTO = ReplenishSettings(ReplenishMode.AUTO, fixed_amount=Decimal(500), department_id="d", tax_rate_id="t")


def _budget(**changes: Any) -> Budget:
    values: dict[str, Any] = {
        "id": "b1",
        "customer": CustomerRef(CustomerType.COMPANY, "c1"),
        "name": "Support",
        "unit": BudgetUnit.money("EUR"),
        "start": date(2026, 1, 1),
        "threshold": Decimal(100),
        "replenish": AUTO,
    }
    return Budget(**{**values, **changes})


def _forecast(b: Budget, *, balance_cents: int, burn_cents: int) -> Forecast:
    """The forecast of a budget at `balance_cents` that burnt `burn_cents` on each of the last 30 days."""
    opened = replace(b, opening_balance=Decimal(balance_cents + 30 * burn_cents) / 100)
    lines = [opening_line(opened, actor="t", at=datetime(2026, 1, 1, tzinfo=UTC))]
    for n in range(30 if burn_cents else 0):
        at = datetime.combine(TODAY - timedelta(days=n), datetime.min.time(), UTC) + timedelta(hours=10)
        amount = Money.from_cents(-burn_cents, "EUR")
        lines.append(LedgerLine("b1", LineKind.SUBTRACTION, amount, 0, f"s{n}", "t", at, f"e{n}"))
    return forecast(b, lines, today=TODAY, window_days=30)


def test_without_a_hold_the_next_top_up_is_on_the_crossing_day() -> None:
    b = _budget()
    fc = _forecast(b, balance_cents=30_000, burn_cents=5_000)
    assert (fc.threshold_date, fc.zero_date) == (date(2026, 11, 30), date(2026, 12, 1))
    assert fc.next_topup_date == fc.threshold_date and fc.next_topup is not None
    assert under_hold(b, fc, None, today=TODAY) is fc
    assert fc.topup_held is None


@pytest.mark.parametrize("held", [TopUpBlocked.OPEN_TOPUP, TopUpBlocked.PAUSED, TopUpBlocked.NEAR_END])
def test_a_hold_withdraws_the_next_top_up_and_keeps_the_crossing_and_zero_dates(held: TopUpBlocked) -> None:
    b = _budget()
    fc = _forecast(b, balance_cents=60_000, burn_cents=5_000)
    assert fc.next_topup_date == date(2026, 12, 6)
    shown = under_hold(b, fc, held, today=TODAY)
    assert (shown.next_topup_date, shown.next_topup, shown.topup_held) == (None, None, held)
    assert (shown.balance, shown.burn_per_day, shown.threshold_date, shown.zero_date) == (
        60_000,
        5_000,
        date(2026, 12, 6),
        date(2026, 12, 7),
    )
    assert project_topups(b, shown, today=TODAY, until=date(2027, 2, 28)) == ()
    assert len(project_topups(b, fc, today=TODAY, until=date(2027, 2, 28))) > 1


def test_the_monthly_cap_withdraws_a_top_up_due_this_month() -> None:
    b = _budget(guardrails=Guardrails(monthly_cap=Decimal(800)))
    fc = _forecast(b, balance_cents=30_000, burn_cents=5_000)
    shown = under_hold(b, fc, TopUpBlocked.MONTHLY_CAP, today=TODAY)
    assert shown.next_topup_date is None and shown.topup_held is TopUpBlocked.MONTHLY_CAP
    assert shown.threshold_date == date(2026, 11, 30)


def test_a_crossing_next_month_meets_a_fresh_cap_unless_the_top_up_alone_passes_it() -> None:
    fresh = _budget(guardrails=Guardrails(monthly_cap=Decimal(800)))
    fc = _forecast(fresh, balance_cents=60_000, burn_cents=5_000)
    assert under_hold(fresh, fc, TopUpBlocked.MONTHLY_CAP, today=TODAY) is fc
    too_big = _budget(guardrails=Guardrails(monthly_cap=Decimal(400)))
    fc = _forecast(too_big, balance_cents=60_000, burn_cents=5_000)
    shown = under_hold(too_big, fc, TopUpBlocked.MONTHLY_CAP, today=TODAY)
    assert (shown.next_topup_date, shown.topup_held) == (None, TopUpBlocked.MONTHLY_CAP)


def test_with_no_recent_burn_the_hold_is_still_named() -> None:
    b = _budget()
    fc = _forecast(b, balance_cents=60_000, burn_cents=0)
    shown = under_hold(b, fc, TopUpBlocked.PAUSED, today=TODAY)
    assert shown.no_recent_burn and shown.topup_held is TopUpBlocked.PAUSED
    assert (shown.threshold_date, shown.zero_date, shown.next_topup_date) == (None, None, None)


def test_a_one_off_budget_never_forecasts_a_top_up() -> None:
    b = _budget(replenish=ReplenishSettings(ReplenishMode.ONE_OFF, fixed_amount=Decimal(500)))
    fc = _forecast(b, balance_cents=30_000, burn_cents=5_000)
    assert (fc.threshold_date, fc.zero_date) == (date(2026, 11, 30), date(2026, 12, 1))
    assert (fc.next_topup_date, fc.next_topup, fc.topup_held) == (None, None, None)
    assert project_topups(b, fc, today=TODAY, until=date(2027, 2, 28)) == ()


def test_what_was_invoiced_this_month_counts_against_the_projected_cap() -> None:
    b = _budget(guardrails=Guardrails(monthly_cap=Decimal(1000)))
    fc = Forecast(30_000, Decimal(10_000), 30, None, None, None, None)
    today = date(2026, 11, 2)
    free = project_topups(b, fc, today=today, until=date(2026, 11, 30))
    assert [t.day for t in free] == [date(2026, 11, 5), date(2026, 11, 10)]
    after_one = project_topups(b, fc, today=today, until=date(2026, 11, 30), invoiced_this_month=50_000)
    assert [t.day for t in after_one] == [date(2026, 11, 5)]
    next_month = project_topups(
        b, fc, today=date(2026, 10, 31), until=date(2026, 11, 30), invoiced_this_month=90_000
    )
    assert next_month[0].day == date(2026, 11, 3)


def test_a_crossing_within_the_end_horizon_promises_no_top_up_and_says_why() -> None:
    b = _budget(end=date(2026, 12, 20), guardrails=Guardrails(no_topup_days_before_end=20))
    fc = _forecast(b, balance_cents=60_000, burn_cents=5_000)
    assert (fc.threshold_date, fc.next_topup_date, fc.next_topup) == (date(2026, 12, 6), None, None)
    assert fc.topup_held is TopUpBlocked.NEAR_END
    assert under_hold(b, fc, None, today=TODAY) is fc
    assert project_topups(b, fc, today=TODAY, until=TODAY + timedelta(days=90)) == ()


def test_a_budget_without_an_end_holds_nothing_for_the_horizon() -> None:
    b = _budget(guardrails=Guardrails(no_topup_days_before_end=20))
    fc = _forecast(b, balance_cents=60_000, burn_cents=5_000)
    assert fc.topup_held is None and fc.next_topup_date == date(2026, 12, 6)
