"""The one rule for "when": the local day a stored ledger line counts on, and what a late one corrects.

Pure calendar arithmetic on budgets of 2026 in Europe/Brussels: every instant is an argument.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from connector.billing import Budget, BudgetUnit, CustomerRef, CustomerType, PeriodCadence, PeriodSettings
from connector.budgets.line_dates import CountedOn, counted_on, worked_on


def _budget(cadence: PeriodCadence = PeriodCadence.NONE) -> Budget:
    allowance = None if cadence is PeriodCadence.NONE else Decimal(100)
    return Budget(
        id="b1",
        customer=CustomerRef(CustomerType.COMPANY, "c1"),
        name="Retainer",
        unit=BudgetUnit.money("EUR"),
        start=date(2026, 1, 1),
        periods=PeriodSettings(cadence=cadence, allowance=allowance),
    )


def _line(kind: str, at: datetime, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "at": at, "period_index": None, "details": None, **more}


MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_the_worked_day_is_read_in_the_budget_time_zone() -> None:
    b = _budget()
    assert worked_on(b, datetime(2026, 1, 31, 23, 30, tzinfo=UTC), date(2026, 1, 31)) == date(2026, 2, 1)
    assert worked_on(b, None, date(2026, 1, 31)) == date(2026, 1, 31)


@pytest.mark.parametrize("kind", ["subtraction", "adjustment", "reversal"])
def test_an_entry_line_counts_on_its_worked_day_however_late_it_was_recorded(kind: str) -> None:
    counted = counted_on(_budget(), _line(kind, MARCH), worked=date(2026, 1, 20), counted_before=False)
    assert counted == CountedOn(date(2026, 1, 20))


@pytest.mark.parametrize("kind", ["adjustment", "reversal", "subtraction"])
def test_a_correction_of_a_closed_month_counts_when_made_and_names_the_month(kind: str) -> None:
    counted = counted_on(_budget(), _line(kind, MARCH), worked=date(2026, 1, 20), counted_before=True)
    assert counted == CountedOn(date(2026, 3, 10), "2026-01")


def test_a_correction_within_the_worked_month_stays_on_the_worked_day() -> None:
    counted = counted_on(_budget(), _line("reversal", MARCH), worked=date(2026, 3, 2), counted_before=True)
    assert counted == CountedOn(date(2026, 3, 2))


def test_the_opening_credit_counts_from_the_budget_start() -> None:
    assert counted_on(_budget(), _line("opening", MARCH), worked=None, counted_before=False) == CountedOn(
        date(2026, 1, 1)
    )


@pytest.mark.parametrize("kind", ["topup_credit", "correction", "period_grant"])
def test_credits_and_period_lines_count_on_their_own_date(kind: str) -> None:
    late = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
    assert counted_on(_budget(), _line(kind, late), worked=None, counted_before=False) == CountedOn(
        date(2026, 3, 1)
    )


def test_a_renewing_budget_follows_the_stamped_period() -> None:
    b = _budget(PeriodCadence.MONTH)
    open_period = _line("subtraction", MARCH, period_index=0)
    assert counted_on(b, open_period, worked=date(2026, 1, 20), counted_before=False) == CountedOn(
        date(2026, 1, 20)
    )
    closed = _line("subtraction", MARCH, period_index=2, details={"closed_period": "2026-01"})
    assert counted_on(b, closed, worked=date(2026, 1, 20), counted_before=False) == CountedOn(
        date(2026, 3, 10), "2026-01"
    )
