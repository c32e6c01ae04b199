"""The current period of a renewing budget as the dashboard shows it, read from the ledger.

What a close today would carry over, expire, invoice as overage or write off, computed with the
same `close_period` rule the close applies, so the dashboard never promises a different outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, and_, case, func, or_, select

from connector.billing import Budget, DeficitPolicy, Period, close_period, nth_period
from connector.budgets.periods.closing import ACTOR
from connector.budgets.periods.placement import index_at, period_label, renews
from connector.budgets.periods.queries import measure_column
from connector.storage.tables.budgets import ledger_line

__all__ = ["PeriodFigures", "period_figures"]


@dataclass(frozen=True)
class PeriodFigures:
    """The current period of a renewing budget, as the dashboard shows it (budget's measure)."""

    period: Period
    label: str
    days_left: int
    share_used: Decimal
    balance: int
    carried: int
    expires: int
    overage: int
    written_off: int


def period_figures(conn: Connection, b: Budget, now: datetime) -> PeriodFigures | None:
    """Share of the period used, days left, and what a close today would roll over or expire."""
    if not renews(b):
        return None
    p = nth_period(b, index_at(b, now))
    if p.starts_at > now:
        return None
    column, stamped = measure_column(b), ledger_line.c.period_index
    within = or_(
        stamped == p.index,
        and_(stamped.is_(None), ledger_line.c.at >= p.starts_at, ledger_line.c.at < p.ends_at),
    )
    before = or_(stamped < p.index, and_(stamped.is_(None), ledger_line.c.at < p.starts_at))
    row = conn.execute(
        select(
            func.coalesce(func.sum(case((before, column), else_=0)), 0),
            func.coalesce(func.sum(case((and_(within, column > 0), column), else_=0)), 0),
            func.coalesce(func.sum(case((within, column), else_=0)), 0),
        ).where(ledger_line.c.budget_id == b.id)
    ).one()
    opening, credits, change = int(row[0]), int(row[1]), int(row[2])
    available, balance = max(opening, 0) + credits, opening + change
    used = Decimal(available - balance) / available if available > 0 else Decimal(0)
    carried = close_period(b, p, balance, actor=ACTOR).carried
    deficit = -balance if balance < 0 and carried == 0 else 0
    return PeriodFigures(
        period=p,
        label=period_label(b, p),
        days_left=(p.end - now.astimezone(b.zone).date()).days,
        share_used=max(used, Decimal(0)),
        balance=balance,
        carried=carried,
        expires=balance - carried if balance > 0 else 0,
        overage=deficit if b.periods.deficit is DeficitPolicy.OVERAGE else 0,
        written_off=deficit if b.periods.deficit is DeficitPolicy.WRITEOFF else 0,
    )
