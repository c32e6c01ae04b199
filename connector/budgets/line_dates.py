"""When a ledger line counts: the one rule that statements, periods, the burn chart, "used this
month" and the forecast share.

PRODUCT.md's words: a subtraction, its adjustment or its reversal belongs to the day its time
entry was worked, in the budget's time zone, whenever it was recorded; a credit, top-up or period
line to its own effective date. A correction to a month already closed appears in the month it is
made and names the month it corrects.

A budget's opening credit is there from the budget's start (a budget set up today for work since
the first of the year opened on the first of the year); a renewing budget's opening counts in the
period of its recording, where its period figures and closes count it.

What "closed" means:

- a renewing budget's period is closed by its close line; the ledger writer then stamps a late
  entry line into the current period (`connector.budgets.periods.stamping`), and the line counts
  on its own day inside that period, naming the closed period;
- a budget that does not renew closes a month when the month ends (its statement may have been
  sent): the first line of an entry (its subtraction) still counts on the day the entry was worked,
  however late it was recorded, so a first sync files half a year of work in the months it was done;
  a later line of the same entry (an adjustment, a reversal, a new subtraction after an undo)
  recorded after the worked month ended counts on the day it was made and names that month.

Pure functions over a stored line's values; `connector.budgets.reports.counted_lines` reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connector.billing import Budget, LineKind, nth_period
from connector.billing.ledger import ENTRY_KINDS
from connector.budgets.periods.placement import index_at, index_of_day, line_day, period_label, renews

__all__ = ["CountedOn", "counted_on", "month_label", "worked_on"]


@dataclass(frozen=True, slots=True)
class CountedOn:
    """The local day a line counts on; `corrects` names the closed month (or period) that a late
    correction corrects ('2026-10'), None for a line that counts in its own month."""

    day: date
    corrects: str | None = None


def month_label(day: date) -> str:
    """'2026-10': the month of a day, spelled as a statement period."""
    return f"{day.year:04d}-{day.month:02d}"


def worked_on(b: Budget, started_at: datetime | None, started_on: date | None) -> date | None:
    """The day a time entry was worked in the budget's time zone (Teamleader's date when it gives
    no start time); None for a line with no time entry."""
    if started_at is not None:
        return started_at.astimezone(b.zone).date()
    return started_on


def counted_on(b: Budget, row: Mapping[str, Any], *, worked: date | None, counted_before: bool) -> CountedOn:
    """Where a stored line (`kind`, `at`, `period_index`, `details`) counts.

    `worked` is its time entry's local day (None: no entry); `counted_before` says whether an
    earlier line of the same entry in the same budget exists (the line corrects what that one
    counted)."""
    kind = LineKind(row["kind"])
    if kind is LineKind.OPENING and not renews(b):
        return CountedOn(min(b.start, row["at"].astimezone(b.zone).date()))
    if kind not in ENTRY_KINDS or worked is None:
        return CountedOn(line_day(b, dict(row)))
    if renews(b):
        return _in_period(b, row, worked)
    made = row["at"].astimezone(b.zone).date()
    if counted_before and (made.year, made.month) > (worked.year, worked.month):
        return CountedOn(made, month_label(worked))
    return CountedOn(worked)


def _in_period(b: Budget, row: Mapping[str, Any], worked: date) -> CountedOn:
    """A renewing budget's entry line: its worked day while it counts in the worked day's period,
    else (stamped into a later period, the worked one being closed) its own day in that period."""
    stamped = row.get("period_index")
    counted = index_at(b, row["at"]) if stamped is None else int(stamped)
    own = index_of_day(b, worked)
    period = nth_period(b, counted)
    if own == counted:
        last = date.fromordinal(period.end.toordinal() - 1)
        return CountedOn(min(max(worked, period.start), last))
    details = row.get("details") or {}
    label = details.get("closed_period") or period_label(b, nth_period(b, own))
    return CountedOn(line_day(b, dict(row)), str(label))
