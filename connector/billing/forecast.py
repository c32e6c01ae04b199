"""Forecast: the recent burn rate, and when the balance will cross the threshold and reach zero.

The burn rate is the net of entry lines (subtractions, adjustments, reversals) that count in the
last `window_days` local days, per day. A line counts on the day its time entry was worked, in the
budget's time zone (`LedgerLine.counts_on`), whenever it was recorded: a first sync that subtracts
half a year of work at once does not look like half a year burnt this month. With no net burn there is no date to promise: the forecast
says "no recent burn" instead of inventing one. The next top-up is expected on the crossing day,
for the amount the replenish settings give at the balance projected for that day, unless the
budget ends first or its no-top-up horizon covers that day (then `topup_held` says so). A guardrail that holds the budget's
automatic top-ups now (`under_hold`) withdraws that top-up: the forecast then names the hold
instead of promising a date the invoice worker would not keep.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from connector.billing.budget import Budget, ReplenishMode
from connector.billing.errors import InvalidBudget
from connector.billing.ledger import ENTRY_KINDS, LedgerLine
from connector.billing.threshold import TopUpAmount, TopUpBlocked, topup_amount, topup_blocked

__all__ = ["DEFAULT_WINDOW_DAYS", "Forecast", "burn_per_day", "forecast", "projection", "under_hold"]

DEFAULT_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Forecast:
    """Dates are None when there is no recent burn; a date of today means already there.
    `topup_held` names the guardrail that withdrew the next top-up (see `under_hold`)."""

    balance: int
    burn_per_day: Decimal
    window_days: int
    threshold_date: date | None
    zero_date: date | None
    next_topup_date: date | None
    next_topup: TopUpAmount | None
    topup_held: TopUpBlocked | None = None

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
        if line.kind in ENTRY_KINDS and first <= line.counts_on(budget) <= today
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
    return projection(budget, balance, burn, today=today, window_days=window_days)


def projection(
    budget: Budget, balance: int, burn: Decimal, *, today: date, window_days: int = DEFAULT_WINDOW_DAYS
) -> Forecast:
    """The forecast of a budget at `balance` (its measure) burning `burn` a day from `today`: what
    `forecast` gives from the whole ledger, for a reader that has the balance and the burn already
    (the overview reads them for every budget at once)."""
    if burn <= 0:
        return Forecast(balance, Decimal(0), window_days, None, None, None, None)
    crossing_in = _days_until_below(balance, budget.threshold_measure, burn)
    zero_in = 0 if balance <= 0 else int((balance / burn).to_integral_value(rounding=ROUND_CEILING))
    crossing = today + timedelta(days=crossing_in)
    topup_date: date | None = None
    topup: TopUpAmount | None = None
    horizon = budget.guardrails.no_topup_days_before_end
    ends_first = budget.end is not None and (budget.end - crossing).days < horizon
    auto = budget.replenish.mode is ReplenishMode.AUTO
    if auto and not ends_first:
        projected = balance - int((burn * crossing_in).to_integral_value(rounding=ROUND_CEILING))
        topup = topup_amount(budget, projected)
        topup_date = crossing if topup is not None else None
    held = TopUpBlocked.NEAR_END if auto and ends_first else None
    zero = today + timedelta(days=zero_in)
    return Forecast(balance, burn, window_days, crossing, zero, topup_date, topup, held)


def _month(day: date) -> tuple[int, int]:
    return day.year, day.month


def under_hold(budget: Budget, fc: Forecast, held: TopUpBlocked | None, *, today: date) -> Forecast:
    """`fc` as the invoice worker would keep it while `held` holds the budget's top-ups today.

    A top-up is only planned at a crossing, and a crossing the guardrails refuse plans none later,
    so while a top-up is open, top-ups are paused or the end is near, no top-up date can be
    promised: the next top-up is withdrawn and `topup_held` says why. The monthly cap alone counts
    one month: a crossing in a later month meets a fresh cap, so its top-up stands unless the
    amount alone passes the cap. The crossing and zero dates never change.
    """
    if held is None:
        return fc
    crossing, topup = fc.next_topup_date, fc.next_topup
    if (
        held is TopUpBlocked.MONTHLY_CAP
        and crossing is not None
        and topup is not None
        and _month(crossing) != _month(today)
    ):
        held = topup_blocked(
            budget, topup, today=crossing, open_topup=False, invoiced_this_month=0, consecutive_failures=0
        )
        if held is None:
            return fc
    return replace(fc, next_topup_date=None, next_topup=None, topup_held=held)
