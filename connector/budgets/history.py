"""A budget's ledger in date order: every line on the day it counts, for statements, the burn chart
and the forecast.

`counted_lines` is the one query: each line with its time entry, person and work type, and the
local day it counts on by the rule of `connector.budgets.line_dates` (the day the entry was
worked; a credit's own day; a late correction of a closed month on the day it was made, naming that
month). The statement (`statement_data`) and the burn chart (`balance_history`) both read it, so a
statement's closing balance is the chart's point for that day. `burn_rates` applies the same rule
to the recent lines of many budgets at once, for the overview's forecast dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, func, literal_column, select
from sqlalchemy.sql import Select

from connector.billing import Budget, LedgerLine, LineKind, Money
from connector.billing.forecast import DEFAULT_WINDOW_DAYS, burn_per_day
from connector.billing.ledger import ENTRY_KINDS
from connector.budgets.line_dates import counted_on, worked_on
from connector.budgets.periods import renews
from connector.storage.tables.budgets import ledger_line
from connector.storage.tables.sync import time_entry, tl_user, work_type

__all__ = [
    "StatementData",
    "balance_history",
    "burn_rates",
    "counted_lines",
    "ledger_line_of",
    "person_name",
    "statement_data",
]


def person_name() -> ColumnElement[str]:
    """A synced user's "first last" name in SQL (empty when neither is known); join `tl_user`."""
    return func.trim(func.coalesce(tl_user.c.first_name, "") + " " + func.coalesce(tl_user.c.last_name, ""))


def _measure(b: Budget, row: dict[str, Any]) -> int:
    return int(row["seconds"]) if b.unit.is_hours else int(row["amount_cents"])


def _place(b: Budget, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set `day` and `corrects` on rows given in id order (an entry's earlier lines first)."""
    seen: set[str] = set()
    placed = []
    for row in rows:
        entry = row["time_entry_id"]
        worked = worked_on(b, row["started_at"], row["started_on"]) if entry else None
        when = counted_on(b, row, worked=worked, counted_before=entry in seen)
        if entry:
            seen.add(entry)
        row["day"], row["corrects"] = when.day, when.corrects
        placed.append(row)
    return placed


def counted_lines(conn: Connection, b: Budget) -> list[dict[str, Any]]:
    """Every line of `b` as stored, plus `day` (the local day it counts on), `corrects` (the closed
    month a late correction names, else None) and its entry's `started_on`, `started_at`,
    `entry_description`, `person` and `work_type`; ordered by day, then as recorded."""
    person = person_name()
    query = (
        select(
            ledger_line,
            time_entry.c.started_on,
            time_entry.c.started_at,
            time_entry.c.description.label("entry_description"),
            person.label("person"),
            work_type.c.name.label("work_type"),
        )
        .outerjoin(time_entry, time_entry.c.id == ledger_line.c.time_entry_id)
        .outerjoin(tl_user, tl_user.c.id == time_entry.c.user_id)
        .outerjoin(work_type, work_type.c.id == time_entry.c.work_type_id)
        .where(ledger_line.c.budget_id == b.id)
        .order_by(ledger_line.c.id)
    )
    placed = _place(b, (dict(r) for r in conn.execute(query).mappings()))
    return sorted(placed, key=lambda r: (r["day"], r["id"]))


def ledger_line_of(row: dict[str, Any]) -> LedgerLine:
    """A stored line (as `counted_lines` gives it, or any row of `ledger_line`) as a domain line."""
    return LedgerLine(
        budget_id=row["budget_id"],
        kind=LineKind(row["kind"]),
        amount=Money.from_cents(row["amount_cents"], row["currency"]),
        seconds=row["seconds"],
        source_key=row["source_key"],
        actor=row["actor"],
        at=row["at"],
        entry_id=row["time_entry_id"],
        invoice_id=row["invoice_id"],
        reason=row["reason"] or "",
        effective_on=row.get("day"),
    )


@dataclass(frozen=True)
class StatementData:
    """A budget's account for the local days [start, end]: opening + every line = closing. Lines
    and credits are in date order (the day each counts on), then in the order they were recorded."""

    budget: Budget
    start: date
    end: date
    opening: int
    lines: list[dict[str, Any]]
    topups: list[dict[str, Any]]
    closing: int


def statement_data(conn: Connection, b: Budget, start: date, end: date) -> StatementData:
    """Opening, the entry lines with who/what/when, the credits, and the closing of a period."""
    opening = 0
    lines: list[dict[str, Any]] = []
    topups: list[dict[str, Any]] = []
    for line in counted_lines(conn, b):
        if line["day"] < start:
            opening += _measure(b, line)
        elif line["day"] <= end:
            (topups if line["kind"] == LineKind.TOPUP_CREDIT.value else lines).append(line)
    closing = opening + sum(_measure(b, line) for line in [*lines, *topups])
    return StatementData(b, start, end, opening, lines, topups, closing)


def balance_history(conn: Connection, b: Budget, *, today: date) -> list[tuple[date, int]]:
    """The settled balance (the budget's measure) at the end of each day a line counts on, in date
    order, ending today at the settled balance: a line counting after today (time tracked ahead)
    is shown today, and the last point is today's even when nothing counts on it."""
    points: dict[date, int] = {}
    running = 0
    for line in counted_lines(conn, b):
        running += _measure(b, line)
        points[min(line["day"], today)] = running
    if points and max(points) < today:
        points[today] = running
    return sorted(points.items())


def _recent(budget_ids: list[str], renewing: list[str], since: date) -> list[Select[Any]]:
    """The only entry lines that can count on `since` or later (a day either side of the window
    covers every time zone): those whose entry was worked since then, and, recorded since then,
    those that may count on the day they were made: a correction (an adjustment, a reversal, a new
    subtraction of an entry reversed or adjusted before) or a line of a renewing budget (stamped
    into a later period when the worked one is closed). A first sync's subtractions of older work
    are none of these, so they are not read. Each query is driven by an index of what it looks
    for (entries worked since, the corrections' partial index); the caller keeps its budgets."""
    earlier = ledger_line.alias("earlier")
    counted_before = exists().where(
        earlier.c.budget_id == ledger_line.c.budget_id,
        earlier.c.time_entry_id == ledger_line.c.time_entry_id,
        earlier.c.id < ledger_line.c.id,
    )
    columns = (
        ledger_line,
        time_entry.c.started_on,
        time_entry.c.started_at,
        counted_before.label("counted_before"),
    )
    base = select(*columns).outerjoin(time_entry, time_entry.c.id == ledger_line.c.time_entry_id)
    recent = ledger_line.c.at >= datetime.combine(since, time(0), tzinfo=UTC)
    # Literal kinds, as the partial index `ix_ledger_line_corrections` spells them: SQLite uses a
    # partial index only for a query whose terms match its WHERE clause, bound parameters not.
    corrections: list[ColumnElement[str]] = [
        literal_column(f"'{k.value}'") for k in (LineKind.REVERSAL, LineKind.ADJUSTMENT)
    ]
    corrected = select(earlier.c.time_entry_id).where(earlier.c.kind.in_(corrections))
    worked_since = select(time_entry.c.id).where(time_entry.c.started_on >= since)
    queries = [
        base.where(ledger_line.c.budget_id.in_(budget_ids), ledger_line.c.time_entry_id.in_(worked_since)),
        base.where(ledger_line.c.kind.in_(corrections), recent),
        base.where(
            ledger_line.c.kind == LineKind.SUBTRACTION.value,
            ledger_line.c.time_entry_id.in_(corrected),
            recent,
        ),
    ]
    if renewing:
        queries.append(base.where(ledger_line.c.budget_id.in_(renewing), recent))
    kinds = [k.value for k in ENTRY_KINDS]
    return [q.where(ledger_line.c.kind.in_(kinds)) for q in queries]


def burn_rates(
    conn: Connection, budgets: Sequence[Budget], *, now: datetime, window_days: int = DEFAULT_WINDOW_DAYS
) -> dict[str, Decimal]:
    """Each budget's burn per day over the `window_days` local days ending `now`, by the day each
    entry line counts on: what `connector.billing.forecast` computes from the whole ledger, read for
    many budgets in two queries."""
    if not budgets:
        return {}
    by_id = {b.id: b for b in budgets}
    since = now.date() - timedelta(days=window_days + 1)
    rows: dict[int, dict[str, Any]] = {}
    renewing = sorted(b.id for b in budgets if renews(b))
    for query in _recent(sorted(by_id), renewing, since):
        for r in conn.execute(query).mappings():
            if r["budget_id"] in by_id:
                rows[r["id"]] = dict(r)
    lines: dict[str, list[LedgerLine]] = {b: [] for b in by_id}
    for row in sorted(rows.values(), key=lambda r: r["id"]):
        b = by_id[row["budget_id"]]
        worked = worked_on(b, row["started_at"], row["started_on"]) if row["time_entry_id"] else None
        row["day"] = counted_on(b, row, worked=worked, counted_before=bool(row["counted_before"])).day
        lines[b.id].append(ledger_line_of(row))
    return {
        bid: burn_per_day(
            by_id[bid], found, today=now.astimezone(by_id[bid].zone).date(), window_days=window_days
        )
        for bid, found in lines.items()
    }
