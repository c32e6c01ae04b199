"""Forecast: the recent burn rate, and when the balance will cross the threshold and reach zero.

The burn rate is the net of entry lines (subtractions, adjustments, reversals) recorded in the
last `window_days` days, per day. With no net burn there is no date to promise: the forecast
says "no recent burn" instead of inventing one. The next top-up is expected on the crossing day,
for the amount the replenish settings give at the balance projected for that day, unless the
budget ends first or its no-top-up horizon covers that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from connector.billing.budget import Budget, ReplenishMode
from connector.billing.errors import InvalidBudget
from connector.billing.ledger import ENTRY_KINDS, LedgerLine
from connector.billing.threshold import TopUpAmount, topup_amount

__all__ = ["DEFAULT_WINDOW_DAYS", "Forecast", "burn_per_day", "forecast"]

DEFAULT_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Forecast:
    """Dates are None when there is no recent burn; a date of today means already there."""

    balance: int
    burn_per_day: Decimal
    window_days: int
    threshold_date: date | None
    zero_date: date | None
    next_topup_date: date | None
    next_topup: TopUpAmount | None

    @property
    def no_recent_burn(self) -> bool:
        return self.burn_per_day <= 0


def burn_per_day(budget: Budget, lines: Iterable[LedgerLine], *, today: date, window_days: int) -> Decimal:
    """Measure burnt per day over the window ending today (local days of the budget)."""
    if window_days < 1:
        raise InvalidBudget("forecast.window_days", "the burn window needs at least one day")
    first = today - timedelta(days=window_days - 1)
    burnt = -sum(
        line.measure(budget.unit)
        for line in lines
        if line.kind in ENTRY_KINDS and first <= line.at.astimezone(budget.zone).date() <= today
    )
    return Decimal(burnt) / window_days


def _days_until_below(balance: int, level: int, burn: Decimal) -> int:
    """Whole days until the balance, burning `burn` a day, is strictly below `level`."""
    if balance < level:
        return 0
    return int(((balance - level) / burn).to_integral_value(rounding=ROUND_FLOOR)) + 1


def forecast(
    budget: Budget, lines: Iterable[LedgerLine], *, today: date, window_days: int = DEFAULT_WINDOW_DAYS
) -> Forecast:
    """The budget's forecast from its ledger as of `today`."""
    ledger = list(lines)
    balance = sum(line.measure(budget.unit) for line in ledger)
    burn = burn_per_day(budget, ledger, today=today, window_days=window_days)
    if burn <= 0:
        return Forecast(balance, Decimal(0), window_days, None, None, None, None)
    crossing_in = _days_until_below(balance, budget.threshold_measure, burn)
    zero_in = 0 if balance <= 0 else int((balance / burn).to_integral_value(rounding=ROUND_CEILING))
    crossing = today + timedelta(days=crossing_in)
    topup_date: date | None = None
    topup: TopUpAmount | None = None
    horizon = budget.guardrails.no_topup_days_before_end
    ends_first = budget.end is not None and (budget.end - crossing).days < horizon
    if budget.replenish.mode is ReplenishMode.AUTO and not ends_first:
        projected = balance - int((burn * crossing_in).to_integral_value(rounding=ROUND_CEILING))
        topup = topup_amount(budget, projected)
        topup_date = crossing if topup is not None else None
    return Forecast(balance, burn, window_days, crossing, today + timedelta(days=zero_in), topup_date, topup)
