"""Forecasts of every active budget and the cash-in calendar across customers.

Per budget, `connector.billing.forecast` gives the crossing date, the zero date and the next
top-up from the recent burn rate. The calendar carries that projection on over a horizon: each
expected top-up credits the budget, the burn goes on, and the next crossing gives the next
top-up, within the same guardrails the invoice worker applies (end-of-budget horizon, monthly
cap, counting what was already invoiced this month). A top-up that would leave the balance below
its threshold ends the projection for that budget, since no new crossing would follow it.

A guardrail holding the budget's top-ups now (`connector.budgets.topup_hold`: an open top-up,
paused after failures, the monthly cap, the end near), or a failed top-up that waits for a person
(`prepaid topups retry ID`), withdraws the forecast's next top-up and
empties its projection, so no view promises a top-up that the worker would refuse; the forecast
names the hold instead. Nothing is written: these are reads and arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from sqlalchemy import Connection

from connector.billing import (
    Budget,
    BudgetStatus,
    Forecast,
    Money,
    ReplenishMode,
    TopUpBlocked,
    topup_amount,
)
from connector.billing.forecast import DEFAULT_WINDOW_DAYS, projection, under_hold
from connector.budgets.budget_queries import load_budgets
from connector.budgets.history import burn_rates
from connector.budgets.reports import BalanceRow, balance_rows
from connector.budgets.topup_hold import TopupHold, topup_hold
from connector.invoicing.guards import GuardInputs, guard_inputs

__all__ = [
    "BudgetForecast",
    "CashIn",
    "HeldForecast",
    "cash_in_calendar",
    "forecast_all",
    "held_forecast",
    "threshold_dates",
]

_MAX_TOPUPS_PER_BUDGET = 100


@dataclass(frozen=True, slots=True)
class CashIn:
    """A top-up invoice the projection expects on `day`, and what it would invoice."""

    day: date
    budget_id: str
    customer: str
    amount: Money


@dataclass(frozen=True, slots=True)
class HeldForecast:
    """A budget's forecast as the guardrails let it stand, and what holds its top-ups now.

    `hold` is the budget's hold today (its page's banner); `topup_held` is that hold when it
    withdrew the forecast's next top-up. They differ only for the monthly cap when the crossing
    falls in a later month, whose fresh cap lets the top-up stand.
    """

    forecast: Forecast
    hold: TopupHold | None
    ending: TopupHold | None = None

    @property
    def topup_held(self) -> TopupHold | None:
        """The hold that withdrew the next top-up: today's, or the end's no-top-up horizon
        covering the day the balance is expected to cross the threshold."""
        return _withdrawn_by(self.forecast, self.hold, self.ending)


@dataclass(frozen=True)
class BudgetForecast:
    """One budget's figures today, what its recent burn predicts, and what holds its top-ups."""

    budget: Budget
    row: BalanceRow
    forecast: Forecast
    topups: tuple[CashIn, ...]
    hold: TopupHold | None = None
    ending: TopupHold | None = None

    @property
    def topup_held(self) -> TopupHold | None:
        """The hold that withdrew the next top-up, if one did (see `HeldForecast.topup_held`)."""
        return _withdrawn_by(self.forecast, self.hold, self.ending)


def _withdrawn_by(fc: Forecast, hold: TopupHold | None, ending: TopupHold | None) -> TopupHold | None:
    return None if fc.topup_held is None else hold or ending


def _days_below(balance: int, level: int, burn: Decimal) -> int:
    if balance < level:
        return 0
    return int(((balance - level) / burn).to_integral_value(rounding=ROUND_FLOOR)) + 1


def _month(day: date) -> tuple[int, int]:
    return day.year, day.month


def held_forecast(
    conn: Connection,
    b: Budget,
    *,
    settled: int,
    now: datetime,
    window_days: int = DEFAULT_WINDOW_DAYS,
    inputs: GuardInputs | None = None,
) -> HeldForecast:
    """`b`'s forecast as of `now` (its local day), with the next top-up withdrawn while a guardrail
    holds it; `settled` and `inputs` are as `topup_hold` takes them."""
    today = now.astimezone(b.zone).date()
    hold = topup_hold(conn, b, settled=settled, now=now, inputs=inputs)
    burn = burn_rates(conn, [b], now=now, window_days=window_days)[b.id]
    fc = projection(b, settled, burn, today=today, window_days=window_days)
    shown = under_hold(b, fc, None if hold is None else hold.reason, today=today)
    return HeldForecast(shown, hold, _ending(b, shown))


def threshold_dates(
    conn: Connection,
    budgets: Sequence[Budget],
    settled: dict[str, int],
    *,
    now: datetime,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> dict[str, date | None]:
    """Each budget's forecast date of crossing its threshold (None: not burning), as `held_forecast`
    gives it (a hold never moves the crossing), read for every budget at once: the overview's
    Forecast column shows the budget page's date. `settled` is each balance in its measure."""
    burns = burn_rates(conn, budgets, now=now, window_days=window_days)
    return {
        b.id: projection(
            b, settled[b.id], burns[b.id], today=now.astimezone(b.zone).date(), window_days=window_days
        ).threshold_date
        for b in budgets
    }


def _ending(b: Budget, fc: Forecast) -> TopupHold | None:
    """Why the forecast promises no top-up when only the budget's end stands in the way."""
    if fc.topup_held is not TopUpBlocked.NEAR_END or b.end is None or fc.threshold_date is None:
        return None
    crossing, horizon = fc.threshold_date, b.guardrails.no_topup_days_before_end
    when = (
        f"after the budget's end on {b.end}"
        if crossing > b.end
        else f"within the last {horizon} days before the budget's end on {b.end}, which take no top-up"
    )
    return TopupHold(
        TopUpBlocked.NEAR_END, f"the balance is expected below the threshold on {crossing}, {when}"
    )


def project_topups(
    b: Budget, fc: Forecast, *, today: date, until: date, invoiced_this_month: int = 0
) -> tuple[CashIn, ...]:
    """Expected top-ups from `today` to `until` (inclusive) at the forecast's burn rate; none while
    a hold withdrew the next one. `invoiced_this_month` (in the budget's measure) counts against
    the monthly cap of `today`'s month."""
    if fc.no_recent_burn or fc.topup_held is not None or b.replenish.mode is not ReplenishMode.AUTO:
        return ()
    burn, threshold = fc.burn_per_day, b.threshold_measure
    guard = b.guardrails
    cap = None if guard.monthly_cap is None else b.unit.measure(guard.monthly_cap)
    per_month: dict[tuple[int, int], int] = {_month(today): invoiced_this_month}
    balance, day = fc.balance, today
    found: list[CashIn] = []
    while len(found) < _MAX_TOPUPS_PER_BUDGET:
        days = _days_below(balance, threshold, burn)
        crossing = day + timedelta(days=days)
        if crossing > until or (
            b.end is not None and (b.end - crossing).days < guard.no_topup_days_before_end
        ):
            break
        projected = balance - int((burn * days).to_integral_value(rounding=ROUND_CEILING))
        amount = topup_amount(b, projected)
        if amount is None:
            break
        month = _month(crossing)
        if cap is not None and per_month.get(month, 0) + amount.measure > cap:
            break
        per_month[month] = per_month.get(month, 0) + amount.measure
        found.append(CashIn(crossing, b.id, str(b.customer), amount.amount))
        balance, day = projected + amount.measure, crossing
        if balance < threshold:
            break
    return tuple(found)


def forecast_all(
    conn: Connection,
    *,
    now: datetime,
    horizon_days: int = 90,
    window_days: int = 30,
    budget_ids: Sequence[str] | None = None,
) -> list[BudgetForecast]:
    """Every active budget's forecast and expected top-ups over the next `horizon_days`, with
    the hold (if any) that keeps a top-up from being promised."""
    moment = now
    budgets = [
        b
        for b in load_budgets(conn, ids=list(budget_ids) if budget_ids is not None else None)
        if b.status is BudgetStatus.ACTIVE
    ]
    rows = {r.budget_id: r for r in balance_rows(conn, [b.id for b in budgets])}
    result = []
    for b in sorted(budgets, key=lambda x: x.id):
        today, row = moment.astimezone(b.zone).date(), rows[b.id]
        # Read once: the hold and the projection's monthly cap count the same invoiced total.
        inputs = guard_inputs(conn, b, moment) if b.replenish.mode is ReplenishMode.AUTO else None
        held = held_forecast(conn, b, settled=row.settled, now=moment, window_days=window_days, inputs=inputs)
        topups = project_topups(
            b,
            held.forecast,
            today=today,
            until=today + timedelta(days=horizon_days),
            invoiced_this_month=0 if inputs is None else inputs.invoiced_this_month,
        )
        result.append(BudgetForecast(b, row, held.forecast, topups, held.hold, held.ending))
    return result


def cash_in_calendar(
    forecasts: Sequence[BudgetForecast],
) -> list[tuple[date, str, Money, tuple[CashIn, ...]]]:
    """Expected top-ups across budgets grouped by day and currency, earliest first."""
    by_day: dict[tuple[date, str], list[CashIn]] = {}
    for f in forecasts:
        for cash in f.topups:
            by_day.setdefault((cash.day, cash.amount.currency), []).append(cash)
    calendar = []
    for (day, currency), items in sorted(by_day.items()):
        total = sum((c.amount.amount for c in items), Decimal(0))
        calendar.append((day, currency, Money(total, currency), tuple(items)))
    return calendar
