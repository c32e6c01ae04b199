"""The statement as CSV: what a customer's accountant opens in a spreadsheet.

Sections follow the printed page (opening balance, each change with its date, person, work
type, description, rounded duration, rate and amount, the top-ups, the closing balance). Text
that a spreadsheet would run as a formula (starting with = + - @) is prefixed with a quote, since
descriptions come from people typing in Teamleader.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from connector.web.formatting import duration, in_unit
from connector.web.views import Statement

__all__ = ["statement_csv", "statement_filename"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def statement_filename(statement: Statement) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in statement.budget.name)
    return f"statement-{safe}-{statement.period.label.replace('..', '_')}.csv"


def statement_csv(statement: Statement) -> str:
    budget = statement.budget
    out = io.StringIO()
    rows = csv.writer(out, lineterminator="\r\n")
    rows.writerow(["budget", _text(budget.name), "customer", _text(budget.customer_name)])
    rows.writerow(["period", statement.period.start.isoformat(), statement.period.end.isoformat()])
    rows.writerow(["opening balance", _number(statement.opening), in_unit(statement.opening, budget)])
    rows.writerow([])
    rows.writerow(
        ["date", "kind", "person", "work type", "description", "rounded duration", "rate", "amount", "change"]
    )
    for line in statement.lines:
        rows.writerow(
            [
                line.day.isoformat(),
                line.kind,
                _text(line.person),
                _text(line.work_type),
                _text(line.description),
                duration(line.rounded_seconds),
                _number(line.rate),
                _number(line.amount),
                _number(line.change),
            ]
        )
    rows.writerow([])
    rows.writerow(["top-up", "invoice", "state", "credited", "amount"])
    for topup in statement.topups:
        rows.writerow(
            [
                topup.created_at.date().isoformat(),
                _text(topup.invoice_number or ""),
                topup.state,
                topup.credited_at.date().isoformat() if topup.credited_at else "",
                _number(topup.amount),
            ]
        )
    rows.writerow([])
    rows.writerow(["closing balance", _number(statement.closing), in_unit(statement.closing, budget)])
    return out.getvalue()
