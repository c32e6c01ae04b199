"""The SQL over `ledger_line` that stamping, closing and the period figures share.

A line counts in its stamped `period_index`, or, unstamped, in the period of its `at`; these
selections spell that rule once, so a close and the dashboard sum the same lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from connector.billing import Budget, LineKind, Period
from connector.storage.tables.budgets import ledger_line

__all__ = ["counted_through", "last_closed", "measure_column"]


def counted_through(b: Budget, p: Period) -> ColumnElement[bool]:
    """Lines that count in period `p` or an earlier one."""
    stamped = ledger_line.c.period_index
    return and_(
        ledger_line.c.budget_id == b.id,
        or_(stamped <= p.index, and_(stamped.is_(None), ledger_line.c.at < p.ends_at)),
    )


def measure_column(b: Budget) -> Any:
    """The column a budget is measured in: seconds for hours budgets, cents for money budgets."""
    return ledger_line.c.seconds if b.unit.is_hours else ledger_line.c.amount_cents


def last_closed(conn: Connection, budget_ids: Sequence[str]) -> dict[str, int]:
    """The index of each budget's last closed period; budgets with none closed are left out."""
    query = (
        select(ledger_line.c.budget_id, func.max(ledger_line.c.period_index))
        .where(
            ledger_line.c.budget_id.in_(list(budget_ids)),
            ledger_line.c.kind == LineKind.PERIOD_CLOSE.value,
        )
        .group_by(ledger_line.c.budget_id)
    )
    return {bid: int(index) for bid, index in conn.execute(query) if index is not None}
