"""Renewing budgets in storage (issue 11): the period each line counts in, and the close at a boundary.

A ledger line of a renewing budget is stamped, when written, with the period it counts in
(`ledger_line.period_index`): an entry's line goes to the period of the entry's local start while
that period is open, and to the current period once it is closed, with a reason that names the
closed period. Lines written without a stamp (credits, corrections) count in the period of their
`at`. The balance at a period's end is therefore one SQL sum, and it never changes after the close.

`PeriodCloser` closes every period that has ended, each in one transaction: the closing line, the
rollover or deficit lines of `connector.billing.periods.close_period`, the next period's grant, and
the overage or grant invoice planned in the top-up outbox under the period's key. The budget row
is locked first (a no-op on SQLite, where BEGIN IMMEDIATE already serialises writers) and the
source keys are unique, so two runs or two instances close a period once.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, Engine, and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError

from connector.billing import (
    Budget,
    BudgetStatus,
    DeficitPolicy,
    LedgerLine,
    LineKind,
    Period,
    PeriodCadence,
    TimeEntry,
    close_period,
    grant_line,
    nth_period,
    period_of,
)
from connector.budgets.codec import line_values
from connector.budgets.errors import BudgetNotFound
from connector.budgets.repository import insert_line_rows, load_budgets
from connector.budgets.thresholds import after_change
from connector.errors import PrepaidError
from connector.invoicing.outbox import plan_topup
from connector.storage.tables.budgets import budget as budget_table
from connector.storage.tables.budgets import ledger_line

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

ACTOR = "periods"
_DAY = timedelta(days=1)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class PeriodCloseBlocked(PrepaidError):
    """A period cannot close yet; the message says what it waits for and where to look."""


def renews(b: Budget) -> bool:
    return b.periods.cadence is not PeriodCadence.NONE


def period_label(b: Budget, p: Period) -> str:
    """'2026-03', '2026-Q1', '2026' for calendar periods, else '2026-01-15..2026-02-14': the same
    spelling as statement periods, so a label opens the period's statement."""
    cadence, last = b.periods.cadence, p.end - _DAY
    if p.start.day == 1:
        if cadence is PeriodCadence.MONTH:
            return f"{p.start.year:04d}-{p.start.month:02d}"
        if cadence is PeriodCadence.QUARTER and p.start.month % 3 == 1:
            return f"{p.start.year:04d}-Q{(p.start.month + 2) // 3}"
        if cadence is PeriodCadence.YEAR and p.start.month == 1:
            return f"{p.start.year:04d}"
    return f"{p.start.isoformat()}..{last.isoformat()}"


def _index_of_day(b: Budget, day: date) -> int:
    """The period of a local day; days before the first period count in the first."""
    first = nth_period(b, 0)
    return 0 if day < first.start else period_of(b, day).index


def index_at(b: Budget, at: datetime) -> int:
    """The period an instant falls in, read in the budget's time zone."""
    return _index_of_day(b, at.astimezone(b.zone).date())


def line_day(b: Budget, row: MutableMapping[str, Any]) -> date:
    """The local day a stored line counts on: its own day, kept inside the period it counts in."""
    day: date = row["at"].astimezone(b.zone).date()
    if not renews(b):
        return day
    index = row.get("period_index")
    p = nth_period(b, index_at(b, row["at"]) if index is None else index)
    return min(max(day, p.start), p.end - _DAY)


def _counted_through(b: Budget, p: Period) -> ColumnElement[bool]:
    """Lines that count in period `p` or an earlier one."""
    stamped = ledger_line.c.period_index
    return and_(
        ledger_line.c.budget_id == b.id,
        or_(stamped <= p.index, and_(stamped.is_(None), ledger_line.c.at < p.ends_at)),
    )


def _measure_column(b: Budget) -> Any:
    return ledger_line.c.seconds if b.unit.is_hours else ledger_line.c.amount_cents


def last_closed(conn: Connection, budget_ids: Sequence[str]) -> dict[str, int]:
    query = (
        select(ledger_line.c.budget_id, func.max(ledger_line.c.period_index))
        .where(
            ledger_line.c.budget_id.in_(list(budget_ids)),
            ledger_line.c.kind == LineKind.PERIOD_CLOSE.value,
        )
        .group_by(ledger_line.c.budget_id)
    )
    return {bid: int(index) for bid, index in conn.execute(query) if index is not None}


class _Planned(Protocol):
    @property
    def budget(self) -> Budget: ...

    @property
    def entry(self) -> TimeEntry: ...


def stamp_periods(conn: Connection, planned: Sequence[_Planned], rows: list[dict[str, Any]]) -> None:
    """Set `period_index` on line rows about to be written; nothing to do when no budget renews.

    Takes a shared lock on the renewing budgets' rows (PostgreSQL), so a line is never stamped
    into a period that a concurrent close is closing: the close holds the row exclusively.
    """
    renewing = {p.budget.id: p.budget for p in planned if renews(p.budget)}
    if not renewing or not rows:
        return
    conn.execute(
        select(budget_table.c.id)
        .where(budget_table.c.id.in_(sorted(renewing)))
        .order_by(budget_table.c.id)
        .with_for_update(read=True)
    )
    closed = last_closed(conn, list(renewing))
    entries = {(p.budget.id, p.entry.id): p.entry for p in planned if p.budget.id in renewing}
    for row in rows:
        b = renewing.get(row["budget_id"])
        entry = entries.get((row["budget_id"], row["time_entry_id"]))
        if b is None or entry is None:
            row["period_index"] = None
            continue
        own = _index_of_day(b, entry.local_date(b.zone))
        last = closed.get(b.id)
        if last is None or own > last:
            row["period_index"] = own
            continue
        row["period_index"] = max(index_at(b, row["at"]), last + 1)
        label = period_label(b, nth_period(b, own))
        row["reason"] = f"{row['reason']} (entry of {label}, a closed period)".strip()
        row["details"] = {**(row["details"] or {}), "closed_period": label}


def _stamped(line: LedgerLine, index: int) -> dict[str, Any]:
    return {**line_values(line), "period_index": index}


@dataclass(frozen=True)
class ClosedPeriod:
    """One period closed: its label, the running balance at its end and what the next one got."""

    budget_id: str
    budget_name: str
    period: str
    closing: str
    carried: str
    kinds: tuple[str, ...]
    topup_ids: tuple[str, ...]


@dataclass
class CloseReport:
    """What one run did: periods opened (first grant), closed, and budgets that must wait."""

    opened: list[tuple[str, str]] = field(default_factory=list)
    closed: list[ClosedPeriod] = field(default_factory=list)
    blocked: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "opened": [{"budget_id": b, "period": p} for b, p in self.opened],
            "closed": [asdict(c) for c in self.closed],
            "blocked": [{"budget_id": b, "why": why} for b, why in self.blocked],
        }


class PeriodCloser:
    """Closes the periods that have ended; safe to run from every instance at once."""

    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = _utcnow, actor: str = ACTOR
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._actor = actor

    def close_due(self, budget_id: str | None = None) -> CloseReport:
        """Open the first period and close every ended one, oldest first, for one or all budgets."""
        with self._engine.connect() as conn:
            if budget_id is None:
                budgets = load_budgets(conn, status=BudgetStatus.ACTIVE)
            else:
                budgets = load_budgets(conn, ids=[budget_id])
                if not budgets:
                    raise BudgetNotFound(budget_id)
        report = CloseReport()
        for b in budgets:
            if renews(b) and b.status is BudgetStatus.ACTIVE:
                self._catch_up(b.id, report)
        return report

    def _catch_up(self, budget_id: str, report: CloseReport) -> None:
        races = 0
        while True:
            try:
                with self._engine.begin() as conn:
                    step = self._step(conn, budget_id, report)
            except IntegrityError:
                races += 1
                if races > 3:
                    raise
                continue
            except PeriodCloseBlocked as blocked:
                report.blocked.append((budget_id, str(blocked)))
                return
            if step is None:
                return
            report.closed.append(step)

    def _step(self, conn: Connection, budget_id: str, report: CloseReport) -> ClosedPeriod | None:
        conn.execute(select(budget_table.c.id).where(budget_table.c.id == budget_id).with_for_update())
        found = load_budgets(conn, ids=[budget_id])
        if not found or not renews(found[0]) or found[0].status is not BudgetStatus.ACTIVE:
            return None
        b, now = found[0], self._clock()
        last = last_closed(conn, [b.id]).get(b.id)
        if last is None:
            self._open_first(conn, b, now, report)
        p = nth_period(b, 0 if last is None else last + 1)
        if p.ends_at > now or (b.end is not None and p.start > b.end):
            return None
        return self._close(conn, b, p, now)

    def _open_first(self, conn: Connection, b: Budget, now: datetime, report: CloseReport) -> None:
        first = nth_period(b, 0)
        grant = grant_line(b, first, actor=self._actor)
        exists = conn.execute(
            select(ledger_line.c.id).where(ledger_line.c.source_key == grant.source_key)
        ).first()
        if first.starts_at > now or exists is not None:
            return
        insert_line_rows(conn, [_stamped(grant, 0)])
        self._invoice_grant(conn, b, first, grant, now)
        report.opened.append((b.id, period_label(b, first)))

    def _invoice_grant(
        self, conn: Connection, b: Budget, p: Period, grant: LedgerLine, now: datetime
    ) -> str | None:
        if not b.periods.invoice_grant:
            return None
        label = period_label(b, p)
        return self._plan(conn, b, grant, "period_grant", label, f"allowance for {label}", now)

    def _plan(
        self, conn: Connection, b: Budget, line: LedgerLine, kind: str, label: str, reason: str, now: datetime
    ) -> str:
        topup_id = plan_topup(
            conn,
            budget_id=b.id,
            amount_cents=line.amount.cents(),
            quantity_seconds=line.seconds if b.unit.is_hours else None,
            reason=reason,
            kind=kind,
            period_key=label,
            now=now,
        )
        if topup_id is None:
            raise PeriodCloseBlocked(
                f"budget {b.id!r} still has an open {kind.replace('_', ' ')} invoice of an earlier "
                f"period, so the {kind.replace('_', ' ')} of {label} cannot be invoiced yet; it closes "
                f"once that invoice is booked or cancelled (`prepaid topups list --budget {b.id}`)"
            )
        return topup_id

    def _close(self, conn: Connection, b: Budget, p: Period, now: datetime) -> ClosedPeriod:
        balance = int(
            conn.execute(
                select(func.coalesce(func.sum(_measure_column(b)), 0)).where(_counted_through(b, p))
            ).scalar_one()
        )
        outcome = close_period(b, p, balance, actor=self._actor)
        closing, *policy, grant = outcome.lines
        label, unit = period_label(b, p), b.unit
        closing = replace(
            closing,
            reason=f"close of {label}: balance {unit.format(balance)}, "
            f"{unit.format(outcome.carried)} carried into the next period",
        )
        following = nth_period(b, p.index + 1)
        granted = b.end is None or following.start <= b.end
        rows = [_stamped(line, p.index) for line in (closing, *policy)]
        if granted:
            rows.append(_stamped(grant, following.index))

        def write() -> dict[str, int]:
            insert_line_rows(conn, rows)
            return {b.id: sum(int(r["seconds"] if unit.is_hours else r["amount_cents"]) for r in rows)}

        after_change(conn, {b.id: b}, write, now=now)
        topups = []
        for line in policy:
            if line.kind is LineKind.OVERAGE:
                topups.append(self._plan(conn, b, line, "overage", label, f"overage of {label}", now))
        if granted:
            planned = self._invoice_grant(conn, b, following, grant, now)
            topups.extend([planned] if planned else [])
        return ClosedPeriod(
            b.id,
            b.name,
            label,
            unit.format(balance),
            unit.format(outcome.carried),
            tuple(str(r["kind"]) for r in rows),
            tuple(topups),
        )


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
    column, stamped = _measure_column(b), ledger_line.c.period_index
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
