"""A ledger line in words: what happened, to which time entry or invoice, and how it was valued.

The ledger stores kinds (`topup_credit`), actors (`rule:invoiceable-time@v1`) and reasons written
for engineers ("2700s rounded to 2700s ... (budget_default)"). The budget page, the statement and
its CSV all say the same thing in words through this module: "Time subtracted", "Top-up invoice
2026 / 45", "45 min, rounded up to the quarter hour, at EUR 95.00 an hour". A customer's copy
(`for_customer`) leaves out what is internal: rules, rate sources, and the agency's people
unless the budget says to show them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from connector.web.formatting import amount, local_date
from connector.web.views import BudgetRow, LedgerLineView, Statement, StatementLine, Unit

__all__ = [
    "LedgerRow",
    "LineWords",
    "StatementRow",
    "actor_words",
    "described_ledger",
    "ledger_words",
    "rounding_words",
    "statement_rows",
]

_TITLES = {
    "opening": "Opening credit",
    "subtraction": "Time subtracted",
    "adjustment": "Correction: entry edited in Teamleader",
    "correction": "Manual correction",
    "period_grant": "Period renewal",
    "period_close": "Period closed",
    "expiry": "Unused allowance expired",
    "overage": "Deficit invoiced as overage",
    "writeoff": "Deficit written off",
}
_REVERSALS = [
    ("undone by", "Subtraction undone"),
    ("excluded by", "Entry excluded after all"),
    ("deleted in Teamleader", "Correction: entry deleted in Teamleader"),
    ("moved to customer", "Correction: entry moved to another customer"),
    ("belongs to another customer", "Correction: entry moved to another customer"),
    ("invoiced in Teamleader", "Reversed: invoiced in Teamleader"),
    ("prepaid in Teamleader", "Reversed: settled by Teamleader's prepaid"),
]
_RATE_SOURCES = {
    "user": "the person's rate",
    "work_type": "the work type's rate",
    "budget_default": "the budget's rate",
    "teamleader": "the rate in Teamleader",
    "hour_price": "the hour price",
}
_INCREMENTS = {300: "5 minutes", 600: "10 minutes", 900: "quarter hour", 1800: "half hour", 3600: "hour"}
_CLOSED_PERIOD = re.compile(r"\s*\(entry of (\S+), a closed period\)")
_PERIOD_DAYS = re.compile(r"(\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)")
_ROLLOVER = re.compile(r"\s*\(rollover: (\w+)\)")
_ACTORS = {
    "sync": "Teamleader sync",
    "rules": "automatic rules",
    "invoicing": "top-up invoicing",
    "periods": "period close",
    "teamleader-webhook": "Teamleader",
    "demo": "demo set-up",
}
_PERIOD_KINDS = frozenset({"period_grant", "period_close", "expiry", "overage", "writeoff"})
_CHANGED = {
    "duration_seconds": "duration",
    "rounded_seconds": "counted time",
    "rate": "rate",
    "invoiceable": "invoiceable",
}


@dataclass(frozen=True, slots=True)
class LineWords:
    """`title` says what happened ("Time subtracted"), `detail` how ("45 min at EUR 95.00 an hour")."""

    title: str
    detail: str


def _minutes(seconds: int) -> str:
    minutes = abs(seconds) // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest:02d} min"


def rounding_words(duration: int | None, rounded: int | None, budget: BudgetRow) -> str:
    """'30 min', '20 min, rounded up to the quarter hour (30 min)' or '5 min, counted as the
    15 min minimum'; empty when the line has no duration."""
    if duration is None or rounded is None:
        return ""
    worked = _minutes(duration)
    if rounded == duration:
        return worked
    if budget.minimum_seconds and rounded == budget.minimum_seconds and duration < rounded:
        return f"{worked}, counted as the {_minutes(rounded)} minimum"
    if budget.rounding_seconds and rounded > duration:
        step = _INCREMENTS.get(budget.rounding_seconds, f"{budget.rounding_seconds // 60} minutes")
        return f"{worked}, rounded up to the {step} ({_minutes(rounded)})"
    return f"{worked}, counted as {_minutes(rounded)}"


def _valued(
    duration: int | None,
    rounded: int | None,
    rate: Decimal | None,
    source: str | None,
    budget: BudgetRow,
    *,
    for_customer: bool,
) -> str:
    time = rounding_words(duration, rounded, budget)
    if rate is None:
        return time
    price = f"at {amount(rate, budget.currency)} an hour"
    if source in _RATE_SOURCES and not for_customer:
        price += f" ({_RATE_SOURCES[source]})"
    return f"{time} {price}" if time else price


def _title(kind: str, reason: str, invoice_number: str | None) -> str:
    if kind == "topup_credit":
        return f"Top-up invoice {invoice_number}" if invoice_number else "Top-up credited"
    if kind == "credit_reversal":
        invoice = f" of invoice {invoice_number}" if invoice_number else ""
        return f"Top-up{invoice} cancelled by a credit note"
    if kind == "reversal":
        for start, words in _REVERSALS:
            if start in reason:
                return words
        return "Subtraction reversed"
    return _TITLES.get(kind, kind.replace("_", " ").capitalize())


def _changes(details: Mapping[str, object] | None) -> str:
    """'duration 1:00 → 1:30' from an adjustment's old_/new_ figures."""
    if not details:
        return ""
    parts = []
    for key, label in _CHANGED.items():
        old, new = details.get(f"old_{key}"), details.get(f"new_{key}")
        if old is None or new is None:
            continue
        if key.endswith("seconds") and isinstance(old, int) and isinstance(new, int):
            parts.append(f"{label} {_minutes(old)} → {_minutes(new)}")
        elif isinstance(old, bool):
            parts.append(f"{label} {'yes' if old else 'no'} → {'yes' if new else 'no'}")
        else:
            parts.append(f"{label} {old} → {new}")
    return ", ".join(parts)


def _inclusive(match: re.Match[str]) -> str:
    """A period's days as people write them: its last day, not the day after it."""
    last = date.fromisoformat(match.group(2)) - timedelta(days=1)
    return f"{match.group(1)} to {last.isoformat()}"


def _period_reason(reason: str) -> str:
    """'allowance for 2026-12-01 to 2027-01-01' (the stored end is the next period's first day)
    as 'allowance for 2026-12-01 to 2026-12-31'; the rollover setting in words."""
    text = _PERIOD_DAYS.sub(_inclusive, reason)
    text = _ROLLOVER.sub(lambda m: f" (rollover {m.group(1).replace('_', ' ')})", text)
    return text[:1].upper() + text[1:]


def _period_note(reason: str) -> str:
    match = _CLOSED_PERIOD.search(reason)
    return f"corrects {match.group(1)}, a closed period" if match else ""


def _explained(kind: str, reason: str, details: Mapping[str, object] | None, valued: str) -> str:
    """The line's detail: the valuation of an entry line, what changed for an adjustment, the
    stored reason for a period, correction or credit note line."""
    note = _period_note(reason)
    if kind == "adjustment":
        text = _changes(details) or valued
    elif kind in ("subtraction", "reversal"):
        text = valued
    elif kind in ("opening", "topup_credit"):
        text = ""
    elif kind in _PERIOD_KINDS:
        text = _period_reason(reason)
    else:
        text = _CLOSED_PERIOD.sub("", reason)
    return "; ".join(p for p in (text, note) if p)


def actor_words(actor: str) -> str:
    """Who made a line, as a colleague says it: 'anna', 'automatic rule “support” (version 2)'."""
    kind, _, name = actor.partition(":")
    if kind == "rule" and name:
        rule, _, version = name.partition("@v")
        return f"automatic rule “{rule}”" + (f" (version {version})" if version else "")
    if kind == "web" and name:
        return name
    if kind == "api":
        return "the API"
    if kind == "cli":
        return "the command line"
    return _ACTORS.get(actor, actor)


def ledger_words(line: LedgerLineView, budget: BudgetRow) -> LineWords:
    """A budget page's ledger line in words (for the agency: rate sources included)."""
    valued = _valued(
        line.duration_seconds, line.rounded_seconds, line.rate, line.rate_source, budget, for_customer=False
    )
    detail = _explained(line.kind, line.description, line.details, valued)
    return LineWords(_title(line.kind, line.description, line.invoice_number), detail)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """A ledger line as the budget page lists it: in words, by whom, and the settled balance after it."""

    line: LedgerLineView
    words: LineWords
    by: str
    balance: Decimal


def described_ledger(lines: Sequence[LedgerLineView], budget: BudgetRow) -> list[LedgerRow]:
    """The ledger newest first by the time each line shows (`at`; a period line is dated at its
    boundary, which may be before lines recorded earlier), each with the balance after it in that
    order, so the balance column reads down the When column; the newest is the settled balance."""
    rows, balance = [], Decimal(0)
    for line in sorted(lines, key=lambda ln: ln.at):
        balance += line.change
        rows.append(LedgerRow(line, ledger_words(line, budget), actor_words(line.actor), balance))
    return rows[::-1]


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One row of a statement, top-ups included, with the balance after it (in the budget's unit).
    `person` is empty on a customer's copy unless the budget names its people there."""

    day: date
    kind: str
    title: str
    description: str
    how: str
    person: str
    work_type: str
    rounded_seconds: int
    amount: Decimal | None
    change: Decimal
    balance: Decimal
    funded_by: str = ""
    corrects: str | None = None


def _line_row(
    line: StatementLine, budget: BudgetRow, *, for_customer: bool, balance: Decimal
) -> StatementRow:
    reason = line.reason or line.description
    valued = _valued(
        line.duration_seconds,
        line.rounded_seconds or None,
        line.rate,
        line.rate_source,
        budget,
        for_customer=for_customer,
    )
    entry = line.kind in ("subtraction", "adjustment", "reversal")
    hide_people = for_customer and not budget.statement_names
    return StatementRow(
        day=line.day,
        kind=line.kind,
        title=_title(line.kind, reason, line.invoice_number),
        description=line.description if entry else "",
        how=_explained(line.kind, reason, line.details, valued),
        person="" if hide_people else line.person,
        work_type=line.work_type,
        rounded_seconds=line.rounded_seconds,
        amount=line.amount,
        change=line.change,
        balance=balance,
        funded_by=line.funded_by,
        corrects=line.corrects,
    )


def statement_rows(statement: Statement, *, for_customer: bool) -> list[StatementRow]:
    """The statement's lines and credited top-ups as one list in date order (a line before a
    top-up of the same day keeps the read model's order), each with the balance after it."""
    budget = statement.budget
    dated: list[tuple[date, int, StatementLine | None, int]] = [
        (line.day, 0, line, i) for i, line in enumerate(statement.lines)
    ]
    dated += [
        (local_date(t.credited_at or t.created_at, budget.time_zone), 1, None, i)
        for i, t in enumerate(statement.topups)
    ]
    rows: list[StatementRow] = []
    balance = statement.opening
    for day, _, line, index in sorted(dated, key=lambda d: (d[0], d[1], d[3])):
        if line is not None:
            balance += line.change
            rows.append(_line_row(line, budget, for_customer=for_customer, balance=balance))
            continue
        topup = statement.topups[index]
        balance += topup.amount
        title = f"Top-up invoice {topup.invoice_number}" if topup.invoice_number else "Top-up credited"
        money = None if budget.unit is Unit.HOURS else topup.amount
        rows.append(StatementRow(day, "topup_credit", title, "", "", "", "", 0, money, topup.amount, balance))
    return rows
