"""The budgets service: budgets, the sync's entry point, people's choices, and what follows them.

It is the application layer over `connector.billing` (the rules) and the ledger tables (the
truth): every write is a short transaction that applies pure decisions, plans the top-ups they
make due in the same transaction, and sends notifications only after the commit. Reads of
balances, entries, ledgers and statements live in `connector.budgets.reports`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from connector.billing import (
    Budget,
    BudgetStatus,
    LedgerLine,
    ReplenishMode,
    carry_versions,
    correction_line,
    opening_line,
    reevaluate,
)
from connector.billing import ChoiceRefused as DomainChoiceRefused
from connector.budgets.applying import ApplyReport, EntryApplier, reconcile_ids
from connector.budgets.balance_queries import balances
from connector.budgets.budget_queries import insert_budget, load_budgets, update_budget
from connector.budgets.bulk_writes import insert_lines
from connector.budgets.choices import Choice, ChoiceResult, Selection, outcomes, plan_choice
from connector.budgets.errors import BudgetChanged, BudgetConflict, BudgetNotFound, ChoiceLost
from connector.budgets.thresholds import Crossing, after_change, measure_of
from connector.budgets.writer import Lost, write_decisions
from connector.clock import SYSTEM_CLOCK, Now
from connector.invoicing.notify import Notifier
from connector.storage.tables.budgets import budget as budget_table
from connector.storage.tables.sync import time_entry

__all__ = ["BudgetsService"]


class BudgetsService:
    """Budgets and their ledger on one database; `notifier` hears about crossings and flags.

    `clock` dates every ledger line and choice; the web adapter and the command line read "now"
    from it too, so one injected clock moves the whole budget side."""

    def __init__(
        self,
        engine: Engine,
        *,
        notifier: Notifier | None = None,
        clock: Now = SYSTEM_CLOCK.now,
        apply_workers: int = 1,
    ) -> None:
        self.engine = engine
        self._notifier = notifier or Notifier(None)
        self.clock = clock
        self._apply_workers = apply_workers

    # budgets

    def budget(self, budget_id: str, conn: Connection | None = None) -> Budget:
        if conn is None:
            with self.engine.connect() as own:
                return self.budget(budget_id, own)
        found = load_budgets(conn, ids=[budget_id])
        if not found:
            raise BudgetNotFound(budget_id)
        return found[0]

    def budgets(self, *, status: BudgetStatus | None = None) -> list[Budget]:
        with self.engine.connect() as conn:
            return load_budgets(conn, status=status)

    def _check_active(self, conn: Connection, b: Budget) -> None:
        if b.status is not BudgetStatus.ACTIVE:
            return
        other = conn.execute(
            select(budget_table.c.id).where(
                budget_table.c.customer_type == b.customer.type.value,
                budget_table.c.customer_id == b.customer.id,
                budget_table.c.status == BudgetStatus.ACTIVE.value,
                budget_table.c.id != b.id,
            )
        ).scalar()
        if other is not None:
            raise BudgetConflict(
                f"customer {b.customer} already has an active budget {other!r}; close it first "
                f"(`prepaid budgets close {other}`) or create this one with status closed"
            )

    def create(self, b: Budget, *, actor: str, conn: Connection | None = None) -> Budget:
        """Store a new budget with its opening line, then take in its customer's entries."""
        b = replace(b, rules=carry_versions(b.rules, ()), version=1)
        if conn is None:
            with self.engine.begin() as own:
                self.create(b, actor=actor, conn=own)
            self.evaluate_customer(b)
            return b
        if load_budgets(conn, ids=[b.id]):
            raise BudgetConflict(f"a budget with id {b.id!r} exists; pick another id or update it")
        self._check_active(conn, b)
        now = self.clock()
        try:
            with conn.begin_nested():
                insert_budget(conn, b, actor=actor, at=now)
        except IntegrityError:
            raise BudgetConflict(f"customer {b.customer} already has an active budget") from None
        if b.opening_measure:
            insert_lines(conn, [opening_line(b, actor=actor, at=now)])
        return b

    def update(
        self,
        wanted: Budget,
        *,
        actor: str,
        expected_version: int | None = None,
        conn: Connection | None = None,
    ) -> Budget | None:
        """Make the stored budget match `wanted` (same id); None when nothing differs.

        Rules keep their versions when unchanged and get the next one when changed; a changed
        opening balance is recorded as a correction line, never by editing the opening line.
        """
        if conn is None:
            with self.engine.begin() as own:
                updated = self.update(wanted, actor=actor, expected_version=expected_version, conn=own)
            if updated is not None:
                self.evaluate_customer(updated)
            return updated
        current = self.budget(wanted.id, conn)
        if expected_version is not None and current.version != expected_version:
            raise BudgetChanged(wanted.id)
        candidate = replace(
            wanted, rules=carry_versions(wanted.rules, current.rules), version=current.version
        )
        if candidate == current:
            return None
        new = replace(candidate, version=current.version + 1)
        self._check_active(conn, new)
        now = self.clock()
        try:
            with conn.begin_nested():
                stored = update_budget(conn, new, expected_version=current.version, actor=actor, at=now)
        except IntegrityError:
            raise BudgetConflict(f"customer {new.customer} already has an active budget") from None
        if not stored:
            raise BudgetChanged(new.id)
        difference = new.opening_balance - current.opening_balance
        if difference:
            line = correction_line(
                new,
                quantity=difference,
                reason=f"opening balance changed from {current.opening_balance} to {new.opening_balance}",
                request_id=f"opening-v{new.version}",
                actor=actor,
                at=now,
            )
            after_change(conn, {new.id: new}, lambda: self._insert_one(conn, new, line), now=now)
        return new

    @staticmethod
    def _insert_one(conn: Connection, b: Budget, line: LedgerLine) -> dict[str, int]:
        insert_lines(conn, [line])
        return {b.id: line.measure(b.unit)}

    def close(self, budget_id: str, *, actor: str) -> Budget | None:
        current = self.budget(budget_id)
        return self.update(
            replace(current, status=BudgetStatus.CLOSED), actor=actor, expected_version=current.version
        )

    def evaluate_customer(self, b: Budget) -> ApplyReport:
        """After a budget is created or changed: take in new entries, re-evaluate pending ones."""
        with self.engine.connect() as conn:
            ids = list(
                conn.execute(
                    select(time_entry.c.id).where(
                        time_entry.c.customer_type == b.customer.type.value,
                        time_entry.c.customer_id == b.customer.id,
                    )
                ).scalars()
            )
        report = self.apply_entries(ids, budget_ids={b.id})
        later = EntryApplier(self.engine, actor="rules", clock=self.clock).apply(
            ids, decide=lambda bb, e, a, at: reevaluate(bb, e, a, at=at), budget_ids={b.id}
        )
        report.outcomes.update(later.outcomes)
        report.crossings.extend(later.crossings)
        self._notify(later)
        return report

    # the sync's entry point

    def apply_entries(self, entry_ids: Sequence[str], *, budget_ids: set[str] | None = None) -> ApplyReport:
        """Re-evaluate these changed entries (idempotent: a revision already seen changes nothing)."""
        applier = EntryApplier(self.engine, actor="sync", clock=self.clock, workers=self._apply_workers)
        report = applier.apply(entry_ids, budget_ids=budget_ids)
        self._notify(report)
        return report

    def reconcile(self) -> ApplyReport:
        """Catch up with entries whose revision no allocation has seen (e.g. after a crash)."""
        with self.engine.connect() as conn:
            ids = reconcile_ids(conn)
        return self.apply_entries(ids)

    # people's choices

    def choose(
        self, choice: Choice, selection: Selection, *, actor: str, strict: bool = False
    ) -> ChoiceResult:
        """Subtract, exclude or undo the selected entries, all or nothing; `strict` also refuses
        the whole choice when an entry is already in the chosen state."""
        now = self.clock()
        try:
            with self.engine.begin() as conn:
                planned, unchanged = plan_choice(conn, choice, selection, actor=actor, at=now)
                if strict and unchanged:
                    raise DomainChoiceRefused(unchanged[0][1], unchanged[0][2])
                budgets = {p.budget.id: p.budget for p in planned}
                crossings = after_change(
                    conn, budgets, lambda: write_decisions(conn, planned, actor=actor, at=now), now=now
                )
                touched = {b for b, _, _ in unchanged} | set(budgets)
                sums = balances(conn, touched) if touched else {}
                all_budgets = {b.id: b for b in load_budgets(conn, ids=touched)} if touched else {}
        except (Lost, IntegrityError):
            ids = selection.entry_ids or ("(selected)",)
            raise ChoiceLost(ids) from None
        self._send(crossings)
        settled = {bid: measure_of(all_budgets[bid], s) for bid, s in sums.items() if bid in all_budgets}
        return ChoiceResult(outcomes(planned), tuple(unchanged), settled)

    # notifications, after commit

    def _notify(self, report: ApplyReport) -> None:
        self._send(report.crossings)
        for budget_name, entry_id, why in report.flagged:
            self._notifier.flagged_entry(budget_name, entry_id, why or "settled another way in Teamleader")

    def _send(self, crossings: Sequence[Crossing]) -> None:
        for c in crossings:
            unit = c.budget.unit
            if c.below_threshold:
                one_off = c.budget.replenish.mode is not ReplenishMode.AUTO
                self._notifier.low_balance(
                    c.budget.name,
                    unit.format(c.after),
                    unit.format(c.budget.threshold_measure),
                    one_off=one_off,
                )
                if c.blocked:
                    self._notifier.topup_blocked(c.budget.name, c.topup_id or "-", c.blocked)
            if c.exhausted:
                self._notifier.budget_exhausted(c.budget.name, unit.format(c.after))
