"""Renewing budgets (issue 11): period boundaries in the budget's time zone, and the close.

A period runs from local midnight of its first day to local midnight of the next period's first
day, so boundaries stay right across daylight-saving changes; an entry belongs to the period of
its start in local time. Periods count from the anchor (default: the budget's start), each one
month, quarter or year later, the anchor's day clamped to short months (Jan 31, Feb 28, Mar 31).

Closing a period is pure: from the running balance at its end it makes the closing line, the
surplus or deficit lines the policies ask for, and the next period's grant. Nothing appears or
disappears at a boundary except through one of these lines, each saying why.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from connector.billing.budget import Budget, DeficitPolicy, PeriodCadence, RolloverPolicy
from connector.billing.errors import InvalidBudget
from connector.billing.ledger import Detail, LedgerLine, LineKind, unit_line

__all__ = [
    "Period",
    "PeriodClose",
    "close_period",
    "grant_line",
    "line_period",
    "nth_period",
    "period_at",
    "period_of",
]

_MONTHS = {PeriodCadence.MONTH: 1, PeriodCadence.QUARTER: 3, PeriodCadence.YEAR: 12}


@dataclass(frozen=True, slots=True)
class Period:
    """Period `index` (0 = first): local days [start, end), and the same as UTC instants."""

    index: int
    start: date
    end: date
    starts_at: datetime
    ends_at: datetime

    def contains(self, instant: datetime) -> bool:
        return self.starts_at <= instant < self.ends_at


def _step(budget: Budget) -> int:
    step = _MONTHS.get(budget.periods.cadence)
    if step is None:
        raise InvalidBudget("periods.cadence", f"budget '{budget.name}' does not renew; it has no periods")
    return step


def _anchor(budget: Budget) -> date:
    return budget.periods.anchor or budget.start


def _nth_start(anchor: date, months: int) -> date:
    year, month = divmod(anchor.month - 1 + months, 12)
    year, month = anchor.year + year, month + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def _period(budget: Budget, index: int) -> Period:
    anchor, step, zone = _anchor(budget), _step(budget), budget.zone
    start, end = _nth_start(anchor, index * step), _nth_start(anchor, (index + 1) * step)
    starts_at = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    ends_at = datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC)
    return Period(index, start, end, starts_at, ends_at)


def nth_period(budget: Budget, index: int) -> Period:
    """Period `index` of a renewing budget (0 = the first), as storage names periods."""
    return _period(budget, index)


def period_of(budget: Budget, day: date) -> Period:
    """The period holding local `day`; days before the anchor belong to no period."""
    anchor, step = _anchor(budget), _step(budget)
    if day < anchor:
        raise InvalidBudget(
            "periods.anchor", f"{day} is before the first period of '{budget.name}' ({anchor})"
        )
    index = ((day.year - anchor.year) * 12 + day.month - anchor.month) // step
    while _nth_start(anchor, index * step) > day:
        index -= 1
    return _period(budget, index)


def period_at(budget: Budget, instant: datetime) -> Period:
    """The period holding an instant, read in the budget's time zone."""
    return period_of(budget, instant.astimezone(budget.zone).date())


def line_period(budget: Budget, *, entry_day: date | None, at: datetime, last_closed: int | None) -> int:
    """The period a new line counts in: its entry's period while that is open, else the current
    one (a late correction of a closed period lands in the current period and names the old)."""
    current = period_at(budget, at).index
    if entry_day is None:
        return current
    own = period_of(budget, entry_day).index
    return own if last_closed is None or own > last_closed else max(current, last_closed + 1)


@dataclass(frozen=True)
class PeriodClose:
    """The lines of one close, in order, and what the next period starts with before its grant."""

    lines: tuple[LedgerLine, ...]
    carried: int


def grant_line(budget: Budget, period: Period, *, actor: str) -> LedgerLine:
    """The allowance a period grants, on its first instant; one per budget and period."""
    allowance = budget.periods.allowance
    assert allowance is not None, "a renewing budget always has an allowance"
    return unit_line(
        budget,
        LineKind.PERIOD_GRANT,
        budget.unit.measure(allowance),
        source_key=f"grant:{budget.id}:{period.index}",
        actor=actor,
        at=period.starts_at,
        reason=f"allowance for {period.start} to {period.end}",
    )


def _kept_surplus(budget: Budget, balance: int) -> int:
    settings = budget.periods
    if settings.rollover is RolloverPolicy.ALL:
        return balance
    if settings.rollover is RolloverPolicy.NONE:
        return 0
    if settings.rollover_cap is not None:
        cap = budget.unit.measure(settings.rollover_cap)
    else:
        assert settings.rollover_cap_share is not None and settings.allowance is not None
        cap = budget.unit.measure(settings.allowance * settings.rollover_cap_share)
    return min(balance, cap)


def close_period(budget: Budget, period: Period, balance: int, *, actor: str) -> PeriodClose:
    """Close `period` whose running balance at its end is `balance` (in the budget's measure).

    An overage credits the deficit at once: from then on the customer owes it on an invoice that
    the top-up outbox creates under the same source key, exactly once.
    """
    at, settings, name = period.ends_at, budget.periods, f"{period.start} to {period.end}"
    key = f"{budget.id}:{period.index}"
    carried, policy_lines = balance, []
    if balance > 0:
        carried = _kept_surplus(budget, balance)
        if carried < balance:
            reason = f"surplus of {name} expires (rollover: {settings.rollover.value})"
            policy_lines.append(
                unit_line(
                    budget,
                    LineKind.EXPIRY,
                    carried - balance,
                    source_key=f"expiry:{key}",
                    actor=actor,
                    at=at,
                    reason=reason,
                )
            )
    elif balance < 0 and settings.deficit is not DeficitPolicy.CARRY:
        carried = 0
        overage = settings.deficit is DeficitPolicy.OVERAGE
        kind = LineKind.OVERAGE if overage else LineKind.WRITEOFF
        reason = (
            f"deficit of {name} invoiced as overage"
            if overage
            else f"deficit of {name} written off, as chosen by {settings.writeoff_approved_by}"
        )
        policy_lines.append(
            unit_line(
                budget, kind, -balance, source_key=f"{kind.value}:{key}", actor=actor, at=at, reason=reason
            )
        )
    details: dict[str, Detail] = {
        "period": period.index,
        "closing_balance": budget.unit.format(balance),
        "carried": budget.unit.format(carried),
    }
    closing = unit_line(
        budget,
        LineKind.PERIOD_CLOSE,
        0,
        source_key=f"close:{key}",
        actor=actor,
        at=at,
        reason=f"close of {name}",
        details=details,
    )
    grant = grant_line(budget, _period(budget, period.index + 1), actor=actor)
    return PeriodClose((closing, *policy_lines, grant), carried)
