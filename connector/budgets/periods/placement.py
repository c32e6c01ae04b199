"""Where a day, an instant or a stored ledger line falls among a renewing budget's periods.

Pure functions of the budget's settings and time zone, with no I/O: stamping, closing, the
figures and the reports all place lines the same way, so they agree on every boundary.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import date, datetime, timedelta
from typing import Any

from connector.billing import Budget, Period, PeriodCadence, nth_period, period_of

__all__ = ["index_at", "index_of_day", "line_day", "period_label", "renews"]

_DAY = timedelta(days=1)


def renews(b: Budget) -> bool:
    return b.periods.cadence is not PeriodCadence.NONE


def period_label(b: Budget, p: Period) -> str:
    """'2026-03', '2026-Q1', '2026' for calendar periods, else '2026-01-15..2026-02-14': the same
    spelling as statement periods, so a label opens the period's statement."""
    cadence, last = b.periods.cadence, p.end - _DAY
    if p.start.day == 1:
        if cadence is PeriodCadence.MONTH:
            return f"{p.start.year:04d}-{p.start.month:02d}"
        if cadence is PeriodCadence.QUARTER and p.start.month % 3 == 1:
            return f"{p.start.year:04d}-Q{(p.start.month + 2) // 3}"
        if cadence is PeriodCadence.YEAR and p.start.month == 1:
            return f"{p.start.year:04d}"
    return f"{p.start.isoformat()}..{last.isoformat()}"


def index_of_day(b: Budget, day: date) -> int:
    """The period of a local day; days before the first period count in the first."""
    first = nth_period(b, 0)
    return 0 if day < first.start else period_of(b, day).index


def index_at(b: Budget, at: datetime) -> int:
    """The period an instant falls in, read in the budget's time zone."""
    return index_of_day(b, at.astimezone(b.zone).date())


def line_day(b: Budget, row: MutableMapping[str, Any]) -> date:
    """The local day of a stored line's own date, kept inside the period it counts in: where a
    credit, top-up or period line counts. An entry line counts on its worked day instead
    (`connector.budgets.line_dates.counted_on`, which falls back to this one)."""
    day: date = row["at"].astimezone(b.zone).date()
    if not renews(b):
        return day
    index = row.get("period_index")
    p = nth_period(b, index_at(b, row["at"]) if index is None else index)
    return min(max(day, p.start), p.end - _DAY)
