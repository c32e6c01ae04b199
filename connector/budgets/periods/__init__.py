"""Renewing budgets in storage (issue 11): the period each ledger line counts in, and the close.

A ledger line of a renewing budget is stamped, when written, with the period it counts in
(`ledger_line.period_index`); lines written without a stamp (credits, corrections) count in the
period of their `at`. The balance at a period's end is therefore one SQL sum, and it never changes
after the close. The modules split that by job:

- `placement`: which period a day, an instant or a stored line falls in, and its label (no I/O);
- `queries`: the SQL over `ledger_line` that stamping, closing and the figures share;
- `stamping`: `stamp_periods`, called by the ledger writer on every batch of lines;
- `closing`: `PeriodCloser`, which closes ended periods and plans their invoices;
- `figures`: `period_figures`, the current period as the dashboard shows it.

Import from here; the modules are implementation.
"""

from __future__ import annotations

from connector.budgets.periods.closing import ClosedPeriod, CloseReport, PeriodCloseBlocked, PeriodCloser
from connector.budgets.periods.figures import PeriodFigures, period_figures
from connector.budgets.periods.placement import index_at, line_day, period_label, renews
from connector.budgets.periods.stamping import stamp_periods

__all__ = [
    "CloseReport",
    "ClosedPeriod",
    "PeriodCloseBlocked",
    "PeriodCloser",
    "PeriodFigures",
    "index_at",
    "line_day",
    "period_figures",
    "period_label",
    "renews",
    "stamp_periods",
]
