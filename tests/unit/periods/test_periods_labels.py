"""Period labels (the statement spelling) and the day a stored line counts on.

Calendar arithmetic on a budget of 2026: every instant is an argument, nothing reads a clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connector.billing import (
    Budget,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    PeriodCadence,
    PeriodSettings,
    nth_period,
)
from connector.budgets.periods import index_at, line_day, period_label


def _budget(cadence: PeriodCadence, anchor: date | None = None, start: date = date(2026, 1, 1)) -> Budget:
    return Budget(
        id="b1",
        customer=CustomerRef(CustomerType.COMPANY, "c1"),
        name="Retainer",
        unit=BudgetUnit.money("EUR"),
        start=start,
        periods=PeriodSettings(cadence=cadence, allowance=Decimal(100), anchor=anchor),
    )


@pytest.mark.parametrize(
    ("cadence", "anchor", "index", "label"),
    [
        (PeriodCadence.MONTH, None, 2, "2026-03"),
        (PeriodCadence.QUARTER, None, 3, "2026-Q4"),
        (PeriodCadence.YEAR, None, 1, "2027"),
        (PeriodCadence.MONTH, date(2026, 1, 15), 0, "2026-01-15..2026-02-14"),
        (PeriodCadence.QUARTER, date(2026, 2, 1), 0, "2026-02-01..2026-04-30"),
    ],
)
def test_labels_use_the_statement_spelling(
    cadence: PeriodCadence, anchor: date | None, index: int, label: str
) -> None:
    b = _budget(cadence, anchor)
    assert period_label(b, nth_period(b, index)) == label


def test_instants_before_the_first_period_count_in_the_first() -> None:
    b = _budget(PeriodCadence.MONTH)
    assert index_at(b, datetime(2025, 12, 31, 22, 59, tzinfo=UTC)) == 0
    assert index_at(b, datetime(2026, 1, 31, 23, 0, tzinfo=UTC)) == 1


def test_a_line_counts_on_a_day_inside_its_period() -> None:
    b = _budget(PeriodCadence.MONTH)
    closing = {"at": datetime(2026, 1, 31, 23, 0, tzinfo=UTC), "period_index": 0}
    late = {"at": datetime(2026, 2, 3, 9, 0, tzinfo=UTC), "period_index": 1}
    unstamped = {"at": datetime(2026, 2, 3, 9, 0, tzinfo=UTC), "period_index": None}
    assert line_day(b, closing) == date(2026, 1, 31)
    assert line_day(b, late) == date(2026, 2, 3)
    assert line_day(b, unstamped) == date(2026, 2, 3)
