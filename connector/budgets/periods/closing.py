"""Closing the periods of renewing budgets that have ended, each in one transaction.

`PeriodCloser` writes the closing line, the rollover or deficit lines of
`connector.billing.periods.close_period` and the next period's grant, and plans the overage or
grant invoice in the top-up outbox under the period's key. The budget row is locked first (a
no-op on SQLite, where BEGIN IMMEDIATE already serialises writers) and the source keys are
unique, so two runs or two instances close a period once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from connector.billing import (
    Budget,
    BudgetStatus,
    LedgerLine,
    LineKind,
    Period,
    close_period,
    grant_line,
    nth_period,
)
from connector.budgets.budget_queries import load_budgets
from connector.budgets.bulk_writes import insert_line_rows
from connector.budgets.entry_codec import line_values
from connector.budgets.errors import BudgetNotFound
from connector.budgets.periods.placement import period_label, renews
from connector.budgets.periods.queries import counted_through, last_closed, measure_column
from connector.budgets.thresholds import after_change
from connector.clock import SYSTEM_CLOCK, Now
from connector.errors import PrepaidError
from connector.invoicing.outbox import plan_topup
from connector.storage.tables.budgets import budget as budget_table
from connector.storage.tables.budgets import ledger_line

__all__ = ["ACTOR", "CloseReport", "ClosedPeriod", "PeriodCloseBlocked", "PeriodCloser"]

ACTOR = "periods"


class PeriodCloseBlocked(PrepaidError):
    """A period cannot close yet; the message says what it waits for and where to look."""


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

    def __init__(self, engine: Engine, *, clock: Now = SYSTEM_CLOCK.now, actor: str = ACTOR) -> None:
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
                select(func.coalesce(func.sum(measure_column(b)), 0)).where(counted_through(b, p))
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
