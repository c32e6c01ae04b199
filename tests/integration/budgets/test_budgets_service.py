"""The budgets service on SQLite and PostgreSQL: budgets, sync entry point, choices, balances."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from budgets_fixtures import ACME, GLOBEX, NOW, auto_budget, line_sum, make_budget, put_entry
from sqlalchemy import Engine, func, select
from support.clock import PinnedClock

from connector.billing import BudgetStatus, ChoiceRefused, SubtractionRule
from connector.budgets import BudgetConflict, BudgetsService, Choice, Selection
from connector.budgets.reports import balance_rows, entry_rows
from connector.storage.tables.budgets import budget_rule, entry_allocation, ledger_line


@pytest.fixture
def service(engine: Engine) -> BudgetsService:
    return BudgetsService(engine, clock=PinnedClock(NOW))


def settled(service: BudgetsService, budget_id: str = "b1") -> int:
    with service.engine.connect() as conn:
        return next(r.settled for r in balance_rows(conn) if r.budget_id == budget_id)


def test_auto_budget_subtracts_matching_entries_and_replays_change_nothing(service: BudgetsService) -> None:
    put_entry(service.engine, "e1", seconds=3000)
    put_entry(service.engine, "e2", invoiceable=False)
    service.create(auto_budget(), actor="test")
    assert settled(service) == 200000 - 9000
    with service.engine.connect() as conn:
        states = {r.entry_id: r.state for r in entry_rows(conn, budget_id="b1")}
    assert states == {"e1": "subtracted", "e2": "pending"}
    before = line_sum(service.engine, "b1")
    report = service.apply_entries(["e1", "e2", "e1"])
    assert report.changed == 0
    assert line_sum(service.engine, "b1") == before


def test_an_edited_subtracted_entry_gets_one_adjustment(service: BudgetsService) -> None:
    service.create(auto_budget(), actor="test")
    put_entry(service.engine, "e1", seconds=3600)
    service.apply_entries(["e1"])
    put_entry(service.engine, "e1", seconds=7200)
    service.apply_entries(["e1"])
    service.apply_entries(["e1"])
    assert line_sum(service.engine, "b1", "adjustment") == -9000
    assert settled(service) == 200000 - 18000
    put_entry(service.engine, "e1", seconds=7200, deleted=True)
    service.apply_entries(["e1"])
    assert settled(service) == 200000


def test_manual_choices_and_undo_then_redo_restore_the_exact_balance(service: BudgetsService) -> None:
    service.create(make_budget(), actor="test")
    for i in range(3):
        put_entry(service.engine, f"e{i}", seconds=1000 + i)
    service.apply_entries(["e0", "e1", "e2"])
    result = service.choose(Choice.SUBTRACT, Selection(all_pending=True), actor="ann")
    assert len(result.changed) == 3
    after_subtract = settled(service)
    service.choose(Choice.UNDO, Selection(entry_ids=("e1",)), actor="ann")
    assert settled(service) == after_subtract + 4500
    service.choose(Choice.SUBTRACT, Selection(entry_ids=("e1",)), actor="ann")
    assert settled(service) == after_subtract
    again = service.choose(Choice.SUBTRACT, Selection(entry_ids=("e1",)), actor="bob")
    assert again.changed == ()
    assert "already subtracted (by ann" in again.unchanged[0][2]


def test_exclude_by_date_range_only_touches_that_range(service: BudgetsService) -> None:
    service.create(make_budget(), actor="test")
    put_entry(service.engine, "e1", day=date(2026, 3, 1))
    put_entry(service.engine, "e2", day=date(2026, 3, 5))
    service.apply_entries(["e1", "e2"])
    service.choose(Choice.EXCLUDE, Selection(start=date(2026, 3, 4), end=date(2026, 3, 31)), actor="ann")
    with service.engine.connect() as conn:
        assert {r.entry_id: r.state for r in entry_rows(conn)} == {"e1": "pending", "e2": "excluded"}


def test_refused_choice_writes_nothing(service: BudgetsService) -> None:
    service.create(make_budget(valuation=replace(make_budget().valuation, default_rate=None)), actor="t")
    put_entry(service.engine, "e1")
    put_entry(service.engine, "e2", rate_cents=8000)
    service.apply_entries(["e1", "e2"])
    with pytest.raises(ChoiceRefused, match="has no rate"):
        service.choose(Choice.SUBTRACT, Selection(entry_ids=("e2", "e1")), actor="ann")
    assert line_sum(service.engine, "b1", "subtraction") == 0


def test_one_active_budget_per_customer(service: BudgetsService) -> None:
    service.create(make_budget(), actor="t")
    with pytest.raises(BudgetConflict, match="already has an active budget"):
        service.create(make_budget(id="b2"), actor="t")
    service.create(make_budget(id="b3", customer=GLOBEX), actor="t")
    service.close("b1", actor="t")
    service.create(make_budget(id="b2", start=date(2027, 1, 1)), actor="t")
    assert service.budget("b1").status is BudgetStatus.CLOSED


def test_rule_change_makes_a_new_version_and_keeps_old_lines(service: BudgetsService) -> None:
    service.create(auto_budget(), actor="t")
    put_entry(service.engine, "e1")
    service.apply_entries(["e1"])
    b = service.budget("b1")
    changed = replace(b, rules=(SubtractionRule("billable", invoiceable=True, tags=frozenset({"support"})),))
    updated = service.update(changed, actor="t")
    assert updated is not None and updated.rules[0].version == 2
    assert service.update(changed, actor="t") is None
    put_entry(service.engine, "e2")
    service.apply_entries(["e2"])
    with service.engine.connect() as conn:
        query = select(ledger_line.c.time_entry_id, ledger_line.c.rule_version).where(
            ledger_line.c.kind == "subtraction"
        )
        versions = {entry_id: version for entry_id, version in conn.execute(query)}
        assert conn.execute(select(func.count()).select_from(budget_rule)).scalar_one() == 2
    assert versions == {"e1": 1, "e2": 2}


def test_opening_balance_change_is_a_correction_line(service: BudgetsService) -> None:
    service.create(make_budget(), actor="t")
    service.update(replace(service.budget("b1"), opening_balance=Decimal("2500")), actor="t")
    assert line_sum(service.engine, "b1", "correction") == 50000
    assert settled(service) == 250000


def test_reconcile_catches_entries_the_apply_never_saw(service: BudgetsService) -> None:
    service.create(auto_budget(), actor="t")
    put_entry(service.engine, "e1")
    put_entry(service.engine, "e2", customer=ACME, day=date(2025, 12, 31))
    assert service.reconcile().outcomes["subtracted"] == 1
    put_entry(service.engine, "e1", seconds=7200)
    assert service.reconcile().outcomes["adjusted"] == 1
    assert service.reconcile().changed == 0
    with service.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(entry_allocation)).scalar_one() == 1
