"""The statement as CSV: what a customer's accountant opens in a spreadsheet.

Sections follow the printed page: the opening balance, each change in date order in words (what,
description, how it was valued, person, counted time, amount, the balance after it; top-ups by
invoice number among them, through `connector.web.ledger_words`), the closing balance. Text
that a spreadsheet would run as a formula (starting with = + - @) is prefixed with a quote, since
descriptions come from people typing in Teamleader.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from connector.web.formatting import duration, in_unit
from connector.web.ledger_words import statement_rows
from connector.web.views import Statement, Unit

__all__ = ["statement_csv", "statement_filename"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def statement_filename(statement: Statement) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in statement.budget.name)
    return f"statement-{safe}-{statement.period.label.replace('..', '_')}.csv"


def statement_csv(statement: Statement, *, for_customer: bool = False) -> str:
    """The statement as CSV; `for_customer` is the copy a signed link serves (no internal
    figures, people only when the budget names them)."""
    budget = statement.budget
    hours_budget = budget.unit is Unit.HOURS
    people = not for_customer or budget.statement_names
    out = io.StringIO()
    rows = csv.writer(out, lineterminator="\r\n")
    rows.writerow(["budget", _text(budget.name), "customer", _text(budget.customer_name)])
    rows.writerow(["period", statement.period.start.isoformat(), statement.period.end.isoformat()])
    rows.writerow(["opening balance", _number(statement.opening), in_unit(statement.opening, budget)])
    rows.writerow([])
    figures = ["hours", "value"] if hours_budget else ["amount"]
    rows.writerow(
        [
            "date",
            "what",
            "description",
            "details",
            *(["person"] if people else []),
            "time",
            *figures,
            "balance",
        ]
    )
    for row in statement_rows(statement, for_customer=for_customer):
        values = [_number(row.change), _number(row.amount)] if hours_budget else [_number(row.amount)]
        rows.writerow(
            [
                row.day.isoformat(),
                _text(row.title),
                _text(row.description),
                _text(row.how),
                *([_text(row.person)] if people else []),
                duration(row.rounded_seconds) if row.rounded_seconds else "",
                *values,
                _number(row.balance),
            ]
        )
    rows.writerow([])
    rows.writerow(["closing balance", _number(statement.closing), in_unit(statement.closing, budget)])
    return out.getvalue()
