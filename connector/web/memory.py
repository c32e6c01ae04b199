"""An in-memory read model and actions behind the web ports, for tests, the benchmark and previews.

It keeps the product's rules in miniature (balance = sum of ledger lines; a subtraction appends
a line, an undo appends a reversal; provisional = settled minus pending values) so the pages and
the browser tests exercise real behaviour without storage. It is not the budgets service.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from connector.clock import SYSTEM_CLOCK
from connector.web.ports import ChoiceRefused, UnknownBudget, UnknownEntries
from connector.web.views import (
    BudgetDetail,
    BudgetRow,
    BurnPoint,
    ChoiceOutcome,
    EntryState,
    EntryView,
    Forecast,
    LedgerLineView,
    Statement,
    StatementLine,
    StatementPeriod,
    TopupHoldView,
    TopupView,
    Unit,
)

__all__ = ["MemoryBudget", "MemoryDashboard", "sample_dashboard"]

_HOUR = Decimal(3600)


@dataclass
class MemoryBudget:
    row: BudgetRow
    entries: dict[str, EntryView] = field(default_factory=dict)
    ledger: list[LedgerLineView] = field(default_factory=list)
    topups: list[TopupView] = field(default_factory=list)
    topup_hold: TopupHoldView | None = None


class MemoryDashboard:
    """Both ports at once (`DashboardReadModel` and `BudgetActions`), safe across threads."""

    def __init__(self, budgets: Sequence[MemoryBudget], *, now: datetime | None = None) -> None:
        self._budgets = {b.row.id: b for b in budgets}
        self._lock = threading.Lock()
        self._now = now
        self._serial = 0

    def _get(self, budget_id: str) -> MemoryBudget:
        try:
            return self._budgets[budget_id]
        except KeyError:
            raise UnknownBudget(budget_id) from None

    def _change(self, budget: MemoryBudget, entry: EntryView) -> Decimal:
        if budget.row.unit is Unit.HOURS:
            return -Decimal(entry.rounded_seconds) / _HOUR
        return -(entry.amount or Decimal(0))

    def _row(self, budget: MemoryBudget) -> BudgetRow:
        settled = sum((line.change for line in budget.ledger), Decimal(0))
        pending = sum(
            (-self._change(budget, e) for e in budget.entries.values() if e.state is EntryState.PENDING),
            Decimal(0),
        )
        credited = sum((line.change for line in budget.ledger if line.change > 0), Decimal(0))
        used = (credited - settled) / credited if credited > 0 else Decimal(0)
        return replace(budget.row, settled=settled, provisional=settled - pending, share_used=used)

    def overview(self) -> Sequence[BudgetRow]:
        with self._lock:
            return [self._row(b) for b in self._budgets.values()]

    def unresolved_entries(self) -> int:
        """None here: these budgets carry their entries, so every entry has its customer."""
        return 0

    def _entries(self, budget: MemoryBudget, state: EntryState | None) -> list[EntryView]:
        chosen = [e for e in budget.entries.values() if state is None or e.state is state]
        return sorted(chosen, key=lambda e: (e.day, e.id), reverse=True)

    def _burn(self, budget: MemoryBudget) -> tuple[BurnPoint, ...]:
        by_day: dict[date, Decimal] = {}
        running = Decimal(0)
        for line in sorted(budget.ledger, key=lambda line: line.at):
            running += line.change
            by_day[line.at.date()] = running
        return tuple(BurnPoint(day, value) for day, value in sorted(by_day.items()))

    def budget_page(self, budget_id: str) -> BudgetDetail:
        with self._lock:
            budget = self._get(budget_id)
            return BudgetDetail(
                budget=self._row(budget),
                burn=self._burn(budget),
                forecast=Forecast(),
                pending=tuple(self._entries(budget, EntryState.PENDING)),
                subtracted=tuple(self._entries(budget, EntryState.SUBTRACTED)),
                excluded=tuple(self._entries(budget, EntryState.EXCLUDED)),
                invoiced=tuple(self._entries(budget, EntryState.INVOICED)),
                ledger=tuple(budget.ledger),
                topups=tuple(sorted(budget.topups, key=lambda t: t.created_at, reverse=True)),
                topup_hold=budget.topup_hold,
            )

    def entries(self, budget_id: str, state: EntryState | None = None) -> Sequence[EntryView]:
        with self._lock:
            return self._entries(self._get(budget_id), state)

    def ledger(self, budget_id: str) -> Sequence[LedgerLineView]:
        with self._lock:
            return list(self._get(budget_id).ledger)

    def topups(self, budget_id: str) -> Sequence[TopupView]:
        with self._lock:
            return sorted(self._get(budget_id).topups, key=lambda t: t.created_at, reverse=True)

    def statement(self, budget_id: str, period: StatementPeriod) -> Statement:
        with self._lock:
            budget = self._get(budget_id)
            before = [line for line in budget.ledger if line.at.date() < period.start]
            inside = [line for line in budget.ledger if period.start <= line.at.date() <= period.end]
            opening = sum((line.change for line in before), Decimal(0))
            lines = []
            for line in inside:
                if line.entry_id is None:
                    continue
                entry = budget.entries[line.entry_id]
                lines.append(
                    StatementLine(
                        day=entry.day,
                        kind=line.kind,
                        change=line.change,
                        person=entry.person,
                        work_type=entry.work_type,
                        description=entry.description,
                        rounded_seconds=entry.rounded_seconds,
                        rate=entry.rate,
                        amount=line.amount,
                    )
                )
            topups = tuple(
                t
                for t in budget.topups
                if t.credited_at and period.start <= t.credited_at.date() <= period.end
            )
            closing = opening + sum((line.change for line in inside), Decimal(0))
            return Statement(self._row(budget), period, opening, tuple(lines), topups, closing)

    def _choose(
        self, budget_id: str, entry_ids: Sequence[str], actor: str, allowed: set[EntryState], to: EntryState
    ) -> ChoiceOutcome:
        with self._lock:
            budget = self._get(budget_id)
            missing = [i for i in entry_ids if i not in budget.entries]
            if missing:
                raise UnknownEntries(budget_id, missing)
            for entry_id in entry_ids:
                entry = budget.entries[entry_id]
                if entry.state not in allowed:
                    raise ChoiceRefused(f"time entry {entry_id} is {entry.state}; reload the page to see it")
                if to is EntryState.SUBTRACTED and entry.amount is None:
                    raise ChoiceRefused(f"time entry {entry_id} has no rate; set a rate on the budget first")
            for entry_id in dict.fromkeys(entry_ids):
                entry = budget.entries[entry_id]
                if EntryState.SUBTRACTED in (entry.state, to):
                    self._append(budget, entry, actor, reverse=entry.state is EntryState.SUBTRACTED)
                budget.entries[entry_id] = replace(entry, state=to)
            settled = sum((line.change for line in budget.ledger), Decimal(0))
            return ChoiceOutcome(tuple(dict.fromkeys(entry_ids)), settled)

    def _append(self, budget: MemoryBudget, entry: EntryView, actor: str, *, reverse: bool) -> None:
        self._serial += 1
        sign = -1 if reverse else 1
        at = self._now or SYSTEM_CLOCK.now()
        budget.ledger.append(
            LedgerLineView(
                id=f"m{self._serial}",
                at=at + timedelta(microseconds=self._serial),
                kind="reversal" if reverse else "subtraction",
                change=sign * self._change(budget, entry),
                amount=sign * -(entry.amount or Decimal(0)),
                actor=actor,
                description=f"{entry.person}: {entry.description}",
                entry_id=entry.id,
            )
        )

    def subtract(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        return self._choose(budget_id, entry_ids, actor, {EntryState.PENDING}, EntryState.SUBTRACTED)

    def exclude(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        return self._choose(budget_id, entry_ids, actor, {EntryState.PENDING}, EntryState.EXCLUDED)

    def undo(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        allowed = {EntryState.SUBTRACTED, EntryState.EXCLUDED}
        return self._choose(budget_id, entry_ids, actor, allowed, EntryState.PENDING)

    def _flagged(self, budget_id: str, entry_ids: Sequence[str]) -> None:
        budget = self._get(budget_id)
        for entry_id in entry_ids:
            entry = budget.entries.get(entry_id)
            if entry is not None and not (entry.warning or "").startswith("flagged"):
                raise ChoiceRefused(f"time entry {entry_id} is not flagged; reload the page to see it")

    def keep(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        with self._lock:
            self._flagged(budget_id, entry_ids)
            budget = self._get(budget_id)
            for entry_id in entry_ids:
                budget.entries[entry_id] = replace(budget.entries[entry_id], warning=None)
            settled = sum((line.change for line in budget.ledger), Decimal(0))
        return ChoiceOutcome(tuple(dict.fromkeys(entry_ids)), settled)

    def reverse(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        with self._lock:
            self._flagged(budget_id, entry_ids)
        return self._choose(budget_id, entry_ids, actor, {EntryState.SUBTRACTED}, EntryState.EXCLUDED)


_PEOPLE = ("Ann Peeters", "Bram Jacobs", "Chloé Maes", "Dries Wouters")
_WORK = ("Design", "Development", "Copywriting", "Project management")
_CUSTOMERS = ("Brouwerij De Klok", "Atelier Noord", "Café =Cijfers", "Drukkerij Lambrecht", "Eetbar <Fris>")


def sample_dashboard(budgets: int = 3, entries: int = 8, *, today: date) -> MemoryDashboard:
    """Deterministic sample data: money budgets with an opening credit, a top-up and pending entries."""
    start = today - timedelta(days=40)
    rows: list[MemoryBudget] = []
    for b in range(budgets):
        budget_id = f"b{b + 1}"
        opening = Decimal(2000 + 500 * (b % 5))
        row = BudgetRow(
            id=budget_id,
            customer_name=f"{_CUSTOMERS[b % len(_CUSTOMERS)]}{'' if b < len(_CUSTOMERS) else f' {b}'}",
            name=f"Retainer {2026 + b % 2}",
            unit=Unit.MONEY,
            currency="EUR",
            settled=opening,
            provisional=opening,
            threshold=Decimal(500 + 100 * (b % 4)),
            share_used=Decimal(0),
            hours=None,
            forecast_date=today + timedelta(days=10 + b % 30) if b % 3 else None,
            last_sync=datetime.combine(today, time(9, b % 60), UTC),
        )
        memory = MemoryBudget(row)
        opened = datetime.combine(start, time(8), UTC)
        memory.ledger.append(
            LedgerLineView(
                f"{budget_id}-open", opened, "opening", opening, opening, "config", "Opening credit"
            )
        )
        credited = datetime.combine(start + timedelta(days=20), time(10), UTC)
        memory.topups.append(
            TopupView(
                f"{budget_id}-t1",
                "paid",
                Decimal(1000),
                credited - timedelta(days=2),
                f"2026/{100 + b}",
                credited,
            )
        )
        memory.ledger.append(
            LedgerLineView(
                f"{budget_id}-credit",
                credited,
                "topup_credit",
                Decimal(1000),
                Decimal(1000),
                "worker",
                "Top-up credit",
                invoice_number=f"2026/{100 + b}",
            )
        )
        if b % 4 in (2, 3):
            low = opening + 1000 - row.threshold + (Decimal(-50) if b % 4 == 2 else row.threshold + 250)
            memory.ledger.append(
                LedgerLineView(
                    f"{budget_id}-spent",
                    credited + timedelta(days=5),
                    "correction",
                    -low,
                    -low,
                    "anna",
                    "Work delivered before the move to this connector",
                )
            )
        if b % 4 == 2:
            memory.row = replace(
                row,
                open_topup=TopupView(f"{budget_id}-t2", "draft", Decimal(1500), credited + timedelta(days=6)),
            )
        for e in range(entries):
            seconds = 900 * (1 + (e * 7 + b) % 12)
            rate = Decimal(85 + 10 * (e % 3))
            entry = EntryView(
                id=f"{budget_id}-e{e + 1}",
                state=EntryState.PENDING,
                day=today - timedelta(days=e),
                person=_PEOPLE[e % len(_PEOPLE)],
                work_type=_WORK[(e + b) % len(_WORK)],
                description=f"Work item {e + 1} for {row.customer_name}",
                duration_seconds=seconds - 120,
                rounded_seconds=seconds,
                rate=rate,
                amount=(rate * seconds / _HOUR).quantize(Decimal("0.01")),
            )
            memory.entries[entry.id] = entry
        rows.append(memory)
    return MemoryDashboard(rows, now=datetime.combine(today, time(17), UTC))
