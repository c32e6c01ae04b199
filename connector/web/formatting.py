"""How figures read on a page and in a CSV: amounts with their currency, hours, durations, dates.

Kept apart from the templates so the HTML, the CSV and the chart label a figure the same way.
Amounts are rounded half-up for display only; the read model's Decimals are never changed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from connector.web.views import BudgetRow, Unit

__all__ = ["amount", "duration", "hours", "in_unit", "local_date", "percent", "topup_state", "when"]

_CENTS = Decimal("0.01")


def amount(value: Decimal | None, currency: str) -> str:
    """'EUR 1,234.50'; an empty string for a missing value (e.g. an entry that needs a rate)."""
    if value is None:
        return ""
    return f"{currency} {value.quantize(_CENTS, rounding=ROUND_HALF_UP):,}"


def hours(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.quantize(_CENTS, rounding=ROUND_HALF_UP):,} h"


def in_unit(value: Decimal | None, budget: BudgetRow) -> str:
    """A quantity in the budget's unit: an amount for a money budget, hours for an hours budget."""
    return hours(value) if budget.unit is Unit.HOURS else amount(value, budget.currency)


def duration(seconds: int) -> str:
    """'1:15' for 75 minutes: how time sheets write a duration."""
    sign = "-" if seconds < 0 else ""
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def percent(share: Decimal) -> str:
    return f"{(share * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


def when(value: datetime | date | None, zone: str | None = None) -> str:
    """A day as '2026-11-30'; a moment as '2026-11-30 14:05 CET' in `zone` (a budget's time zone),
    or in UTC when no zone is given."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(ZoneInfo(zone) if zone else UTC)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    return value.isoformat()


def local_date(value: datetime, zone: str) -> date:
    """The day a moment falls on in `zone`."""
    return value.astimezone(ZoneInfo(zone)).date()


_TOPUP_STATES = {
    "planned": "Planned",
    "drafting": "Being drafted",
    "drafted": "Draft in Teamleader",
    "booking": "Being booked",
    "booked": "Booked, not yet credited",
    "credited": "Credited",
    "failed": "Failed",
    "cancelled": "Cancelled",
}


def topup_state(state: str) -> str:
    """A top-up's state as a person reads it ('Draft in Teamleader' for `drafted`)."""
    return _TOPUP_STATES.get(state, state.capitalize())
