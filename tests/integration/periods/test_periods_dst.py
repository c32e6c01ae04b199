"""Month and quarter boundaries around both DST changes of Europe/Brussels, with stored entries.

Entries start at 23:30 on the last day of a period, at 00:00 and at 00:30 on the first day of the
next, local time; each must count in the period of its local start, and the close of the earlier
period must take in exactly the 23:30 entry.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from periods_fixtures import after, lines, local, put_entry, renewing
from sqlalchemy import Engine
from support.clock import PinnedClock

from connector.billing import PeriodCadence
from connector.budgets import BudgetsService
from connector.budgets.periods import PeriodCloser

# Brussels moves to summer time on 2026-03-29 and back on 2026-10-25.
BOUNDARIES = [
    pytest.param(PeriodCadence.MONTH, date(2026, 3, 1), id="month-before-spring"),
    pytest.param(PeriodCadence.MONTH, date(2026, 4, 1), id="month-after-spring"),
    pytest.param(PeriodCadence.MONTH, date(2026, 10, 1), id="month-before-autumn"),
    pytest.param(PeriodCadence.MONTH, date(2026, 11, 1), id="month-after-autumn"),
    pytest.param(PeriodCadence.QUARTER, date(2026, 4, 1), id="quarter-after-spring"),
    pytest.param(PeriodCadence.QUARTER, date(2026, 10, 1), id="quarter-before-autumn"),
    pytest.param(PeriodCadence.QUARTER, date(2027, 1, 1), id="quarter-after-autumn"),
]
TIMES = [
    pytest.param(-1, 23, 30, True, id="23:30"),
    pytest.param(0, 0, 0, False, id="00:00"),
    pytest.param(0, 0, 30, False, id="00:30"),
]


@pytest.mark.parametrize(("cadence", "boundary"), BOUNDARIES)
@pytest.mark.parametrize(("day_offset", "hour", "minute", "in_earlier"), TIMES)
def test_entry_counts_in_the_period_of_its_local_start(
    engine: Engine,
    cadence: PeriodCadence,
    boundary: date,
    day_offset: int,
    hour: int,
    minute: int,
    in_earlier: bool,
) -> None:
    step = 1 if cadence is PeriodCadence.MONTH else 3
    first = date(
        boundary.year - (1 if boundary.month <= step else 0), (boundary.month - step - 1) % 12 + 1, 1
    )
    b = renewing()
    b = replace(b, start=first, periods=replace(b.periods, cadence=cadence))
    clock = PinnedClock(local(boundary - timedelta(days=3), 12))
    service = BudgetsService(engine, clock=clock)
    service.create(b, actor="test")
    started = local(boundary + timedelta(days=day_offset), hour, minute)
    put_entry(engine, "e1", started)
    service.apply_entries(["e1"])
    (subtraction,) = [r for r in lines(engine) if r["kind"] == "subtraction"]
    assert subtraction["period_index"] == (0 if in_earlier else 1)

    clock.at = after(boundary, hours=0) + timedelta(minutes=1)
    report = PeriodCloser(engine, clock=clock).close_due()
    (closed,) = report.closed
    assert closed.closing == ("EUR 900.00" if in_earlier else "EUR 1,000.00")
    assert [r["kind"] for r in lines(engine)][-1] == "period_grant"
