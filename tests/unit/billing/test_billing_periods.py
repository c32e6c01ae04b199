"""Periods of renewing budgets: local-midnight boundaries around both DST changes, anchors,
close lines per policy and late corrections.

The billing domain never reads a clock: every instant and day below is handed to it (`at=`,
`today=`), so these tests hold on any date.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from billing_factories import budget, entry, eur
from hypothesis import given
from hypothesis import strategies as st

from connector.billing.budget import Budget, DeficitPolicy, PeriodCadence, PeriodSettings, RolloverPolicy
from connector.billing.errors import InvalidBudget
from connector.billing.ledger import LineKind
from connector.billing.periods import close_period, line_period, period_at, period_of

BRUSSELS = ZoneInfo("Europe/Brussels")
MONTHLY = PeriodSettings(cadence=PeriodCadence.MONTH, allowance=Decimal("1000"))


def renewing(
    cadence: PeriodCadence = PeriodCadence.MONTH, anchor: date | None = None, **changes: Any
) -> Budget:
    settings = replace(MONTHLY, cadence=cadence, anchor=anchor, **changes)
    return budget(periods=settings, opening_balance=Decimal(0))


def local(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("cadence", "anchor", "instant", "start"),
    [
        # month boundary just after the spring change (CEST, UTC+2)
        (PeriodCadence.MONTH, None, local(2026, 3, 31, 23, 30), date(2026, 3, 1)),
        (PeriodCadence.MONTH, None, local(2026, 4, 1, 0, 0), date(2026, 4, 1)),
        (PeriodCadence.MONTH, None, local(2026, 4, 1, 0, 30), date(2026, 4, 1)),
        # month boundary just after the autumn change (CET, UTC+1)
        (PeriodCadence.MONTH, None, local(2026, 10, 31, 23, 30), date(2026, 10, 1)),
        (PeriodCadence.MONTH, None, local(2026, 11, 1, 0, 0), date(2026, 11, 1)),
        (PeriodCadence.MONTH, None, local(2026, 11, 1, 0, 30), date(2026, 11, 1)),
        # boundaries on the DST days themselves
        (PeriodCadence.MONTH, date(2026, 1, 29), local(2026, 3, 28, 23, 30), date(2026, 2, 28)),
        (PeriodCadence.MONTH, date(2026, 1, 29), local(2026, 3, 29, 0, 0), date(2026, 3, 29)),
        (PeriodCadence.MONTH, date(2026, 1, 29), local(2026, 3, 29, 0, 30), date(2026, 3, 29)),
        (PeriodCadence.MONTH, date(2026, 1, 25), local(2026, 10, 24, 23, 30), date(2026, 9, 25)),
        (PeriodCadence.MONTH, date(2026, 1, 25), local(2026, 10, 25, 0, 0), date(2026, 10, 25)),
        (PeriodCadence.MONTH, date(2026, 1, 25), local(2026, 10, 25, 0, 30), date(2026, 10, 25)),
        # quarters
        (PeriodCadence.QUARTER, None, local(2026, 3, 31, 23, 30), date(2026, 1, 1)),
        (PeriodCadence.QUARTER, None, local(2026, 4, 1, 0, 0), date(2026, 4, 1)),
        (PeriodCadence.QUARTER, None, local(2026, 9, 30, 23, 30), date(2026, 7, 1)),
        (PeriodCadence.QUARTER, None, local(2026, 10, 1, 0, 30), date(2026, 10, 1)),
        (PeriodCadence.YEAR, None, local(2027, 1, 1, 0, 30), date(2027, 1, 1)),
    ],
)
def test_periods_entries_belong_to_the_period_of_their_local_start(
    cadence: PeriodCadence, anchor: date | None, instant: datetime, start: date
) -> None:
    b = renewing(cadence, anchor)
    utc_instant = instant.astimezone(UTC)
    e = entry(started_at=utc_instant, started_on=utc_instant.date())
    period = period_of(b, e.local_date(b.zone))
    assert period.start == start
    assert period.contains(utc_instant)
    assert period_at(b, utc_instant) == period


def test_periods_boundaries_are_local_midnight_in_utc() -> None:
    b = renewing()
    march, april = period_of(b, date(2026, 3, 15)), period_of(b, date(2026, 4, 15))
    assert march.ends_at == april.starts_at == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert march.starts_at == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)


def test_periods_clamp_the_anchor_day_to_short_months() -> None:
    b = renewing(anchor=date(2026, 1, 31))
    assert [period_of(b, d).start for d in (date(2026, 2, 28), date(2026, 3, 30), date(2026, 3, 31))] == [
        date(2026, 2, 28),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]


def test_periods_refuse_days_before_the_first_and_budgets_that_do_not_renew() -> None:
    with pytest.raises(InvalidBudget, match="before the first period"):
        period_of(renewing(), date(2025, 12, 31))
    with pytest.raises(InvalidBudget, match="does not renew"):
        period_of(budget(), date(2026, 3, 1))


@given(st.dates(min_value=date(2026, 2, 1), max_value=date(2040, 12, 31)), st.integers(1, 31))
def test_periods_tile_the_calendar(day: date, anchor_day: int) -> None:
    b = renewing(PeriodCadence.QUARTER, anchor=date(2026, 1, min(anchor_day, 28)))
    period = period_of(b, day)
    assert period.start <= day < period.end
    assert period_of(b, period.end).index == period.index + 1


@pytest.mark.parametrize(
    ("changes", "balance", "kinds", "carried", "policy_amount"),
    [
        (
            {"rollover": RolloverPolicy.ALL},
            30000,
            [LineKind.PERIOD_CLOSE, LineKind.PERIOD_GRANT],
            30000,
            None,
        ),
        (
            {"rollover": RolloverPolicy.NONE},
            30000,
            [LineKind.PERIOD_CLOSE, LineKind.EXPIRY, LineKind.PERIOD_GRANT],
            0,
            "-300",
        ),
        (
            {"rollover": RolloverPolicy.CAPPED, "rollover_cap": Decimal("100")},
            30000,
            [LineKind.PERIOD_CLOSE, LineKind.EXPIRY, LineKind.PERIOD_GRANT],
            10000,
            "-200",
        ),
        (
            {"rollover": RolloverPolicy.CAPPED, "rollover_cap_share": Decimal("0.5")},
            30000,
            [LineKind.PERIOD_CLOSE, LineKind.PERIOD_GRANT],
            30000,
            None,
        ),
        (
            {"deficit": DeficitPolicy.CARRY},
            -5000,
            [LineKind.PERIOD_CLOSE, LineKind.PERIOD_GRANT],
            -5000,
            None,
        ),
        (
            {"deficit": DeficitPolicy.OVERAGE},
            -5000,
            [LineKind.PERIOD_CLOSE, LineKind.OVERAGE, LineKind.PERIOD_GRANT],
            0,
            "50",
        ),
        (
            {"deficit": DeficitPolicy.WRITEOFF, "writeoff_approved_by": "Femke"},
            -5000,
            [LineKind.PERIOD_CLOSE, LineKind.WRITEOFF, LineKind.PERIOD_GRANT],
            0,
            "50",
        ),
    ],
)
def test_periods_close_lines_per_policy(
    changes: dict[str, Any], balance: int, kinds: list[LineKind], carried: int, policy_amount: str | None
) -> None:
    b = renewing(**changes)
    march = period_of(b, date(2026, 3, 10))
    closed = close_period(b, march, balance, actor="scheduler")
    assert [line.kind for line in closed.lines] == kinds
    assert closed.carried == carried
    assert balance + sum(line.measure(b.unit) for line in closed.lines[:-1]) == carried
    grant = closed.lines[-1]
    assert (grant.amount, grant.at, grant.source_key) == (eur("1000"), march.ends_at, "grant:b1:3")
    assert closed.lines[0].source_key == "close:b1:2"
    if policy_amount is not None:
        assert closed.lines[1].amount == eur(policy_amount)
        assert closed.lines[1].reason
    if "writeoff_approved_by" in changes:
        assert "Femke" in closed.lines[1].reason


def test_periods_late_corrections_land_in_the_current_period() -> None:
    b = renewing()
    now = datetime(2026, 4, 10, 12, tzinfo=UTC)
    assert line_period(b, entry_day=date(2026, 3, 20), at=now, last_closed=None) == 2
    assert line_period(b, entry_day=date(2026, 3, 20), at=now, last_closed=2) == 3
    assert line_period(b, entry_day=None, at=now, last_closed=2) == 3
