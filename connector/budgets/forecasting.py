"""Forecasts of every active budget and the cash-in calendar across customers.

Per budget, `connector.billing.forecast` gives the crossing date, the zero date and the next
top-up from the recent burn rate. The calendar carries that projection on over a horizon: each
expected top-up credits the budget, the burn goes on, and the next crossing gives the next
top-up, within the same guardrails the invoice worker applies (end-of-budget horizon, monthly
cap). A top-up that would leave the balance below its threshold ends the projection for that
budget, since no new crossing would follow it. Nothing is written: these are reads and arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from sqlalchemy import Connection

from connector.billing import Budget, BudgetStatus, Forecast, Money, ReplenishMode, forecast, topup_amount
from connector.budgets.reports import BalanceRow, balance_rows, lines_of
from connector.budgets.repository import load_budgets

__all__ = ["BudgetForecast", "CashIn", "cash_in_calendar", "forecast_all"]

_MAX_TOPUPS_PER_BUDGET = 100


@dataclass(frozen=True, slots=True)
class CashIn:
    """A top-up invoice the projection expects on `day`, and what it would invoice."""

    day: date
    budget_id: str
    customer: str
    amount: Money


@dataclass(frozen=True)
class BudgetForecast:
    """One budget's figures today and what its recent burn predicts."""

    budget: Budget
    row: BalanceRow
    forecast: Forecast
    topups: tuple[CashIn, ...]


def _days_below(balance: int, level: int, burn: Decimal) -> int:
    if balance < level:
        return 0
    return int(((balance - level) / burn).to_integral_value(rounding=ROUND_FLOOR)) + 1


def _month(day: date) -> tuple[int, int]:
    return day.year, day.month


def project_topups(b: Budget, fc: Forecast, *, today: date, until: date) -> tuple[CashIn, ...]:
    """Expected top-ups from `today` to `until` (inclusive) at the forecast's burn rate."""
    if fc.no_recent_burn or b.replenish.mode is not ReplenishMode.AUTO:
        return ()
    burn, threshold = fc.burn_per_day, b.threshold_measure
    guard = b.guardrails
    cap = None if guard.monthly_cap is None else b.unit.measure(guard.monthly_cap)
    per_month: dict[tuple[int, int], int] = {}
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
    now: datetime | None = None,
    horizon_days: int = 90,
    window_days: int = 30,
    budget_ids: Sequence[str] | None = None,
) -> list[BudgetForecast]:
    """Every active budget's forecast and expected top-ups over the next `horizon_days`."""
    moment = now or datetime.now(UTC)
    budgets = [
        b
        for b in load_budgets(conn, ids=list(budget_ids) if budget_ids is not None else None)
        if b.status is BudgetStatus.ACTIVE
    ]
    rows = {r.budget_id: r for r in balance_rows(conn, [b.id for b in budgets])}
    result = []
    for b in sorted(budgets, key=lambda x: x.id):
        today = moment.astimezone(b.zone).date()
        fc = forecast(b, lines_of(conn, b), today=today, window_days=window_days)
        topups = project_topups(b, fc, today=today, until=today + timedelta(days=horizon_days))
        result.append(BudgetForecast(b, rows[b.id], fc, topups))
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
