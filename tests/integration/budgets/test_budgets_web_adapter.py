"""The web ports over the budgets service: figures as views, choices, and the web's error tree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from budgets_fixtures import NOW, add_company, make_budget, put_entry
from sqlalchemy import Engine
from support.clock import PinnedClock

from connector.budgets import BudgetsService
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.web.ports import ChoiceRefused, UnknownBudget, UnknownEntries
from connector.web.views import EntryState, StatementPeriod


@pytest.fixture
def adapter(engine: Engine) -> BudgetsWebAdapter:
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    add_company(engine, "c-acme", "Acme NV")
    service.create(make_budget(), actor="test")
    put_entry(engine, "e1", seconds=3600)
    put_entry(engine, "e2", seconds=1800, day=date(2026, 3, 3))
    service.apply_entries(["e1", "e2"])
    return BudgetsWebAdapter(service)


def test_overview_shows_settled_and_provisional(adapter: BudgetsWebAdapter) -> None:
    (row,) = adapter.overview()
    assert (row.customer_name, row.settled, row.provisional) == (
        "Acme NV",
        Decimal("2000.00"),
        Decimal("1865.00"),
    )
    assert [e.id for e in adapter.entries("b1", EntryState.PENDING)] == ["e2", "e1"]


def test_subtract_then_undo_through_the_port(adapter: BudgetsWebAdapter) -> None:
    outcome = adapter.subtract("b1", ["e1"], "anna")
    assert outcome.settled == Decimal("1910.00")
    with pytest.raises(ChoiceRefused, match="already subtracted"):
        adapter.subtract("b1", ["e2", "e1"], "anna")
    assert [e.id for e in adapter.entries("b1", EntryState.SUBTRACTED)] == ["e1"]
    assert adapter.undo("b1", ["e1"], "anna").settled == Decimal("2000.00")
    kinds = [line.kind for line in adapter.ledger("b1")]
    assert kinds == ["opening", "subtraction", "reversal"]


def test_statement_and_page(adapter: BudgetsWebAdapter) -> None:
    adapter.subtract("b1", ["e1", "e2"], "anna")
    statement = adapter.statement("b1", StatementPeriod(date(2026, 3, 1), date(2026, 3, 31), "2026-03"))
    assert statement.opening == Decimal("2000.00"), "the opening credit counts from the budget's start"
    assert statement.closing == Decimal("1865.00")
    assert {line.person for line in statement.lines if line.kind == "subtraction"} == {""}
    page = adapter.budget_page("b1")
    assert page.budget.settled == Decimal("1865.00") and len(page.subtracted) == 2


def test_errors_map_to_the_web_tree(adapter: BudgetsWebAdapter) -> None:
    with pytest.raises(UnknownBudget):
        adapter.budget_page("nope")
    with pytest.raises(UnknownEntries):
        adapter.subtract("b1", ["e9"], "anna")
