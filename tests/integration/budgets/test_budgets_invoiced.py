"""Entries Teamleader invoiced itself: listed read-only as `invoiced`, refused with why, never stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from budgets_fixtures import GLOBEX, NOW, line_sum, make_budget, put_entry
from sqlalchemy import Engine, func, select
from support.clock import PinnedClock

from connector.billing import BudgetStatus, ChoiceRefused
from connector.budgets import BudgetsService, Choice, Selection
from connector.budgets.invoiced import invoiced_rows, listed_entries
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.storage.tables.budgets import entry_allocation
from connector.web.ports import ChoiceRefused as WebChoiceRefused
from connector.web.views import EntryState


@pytest.fixture
def service(engine: Engine) -> BudgetsService:
    """Budget b1 (Acme, from 2026-01-01, manual) and entries in every situation an invoiced
    entry can be in: settled before any allocation, after one, after a subtraction, and out of
    the budget for another reason first."""
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    put_entry(engine, "e1", day=date(2026, 3, 2))
    put_entry(engine, "e2", day=date(2026, 3, 3), billing_type="invoice", invoice_id="inv-42")
    put_entry(engine, "e3", day=date(2026, 3, 4), billing_type="prepaid")
    put_entry(engine, "e4", day=date(2025, 12, 20), billing_type="invoice")
    put_entry(engine, "e5", day=date(2026, 3, 5), billing_type="invoice", customer=GLOBEX)
    put_entry(engine, "e6", day=date(2026, 3, 6), billing_type="invoice", deleted=True)
    put_entry(engine, "e7", day=date(2026, 3, 7))
    put_entry(engine, "e8", day=date(2026, 3, 8))
    service.create(make_budget(), actor="test")
    service.choose(Choice.SUBTRACT, Selection(("e8",)), actor="anna")
    put_entry(engine, "e7", day=date(2026, 3, 7), billing_type="invoice")
    put_entry(engine, "e8", day=date(2026, 3, 8), billing_type="invoice", invoice_id="inv-43")
    service.apply_entries(["e7", "e8"])
    return service


def _states(engine: Engine, **filters: object) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [(r.entry_id, r.state) for r in listed_entries(conn, **filters)]  # type: ignore[arg-type]


def test_invoiced_entries_are_listed_beside_the_allocations(service: BudgetsService, engine: Engine) -> None:
    assert _states(engine, budget_id="b1") == [
        ("e8", "subtracted"),
        ("e7", "invoiced"),
        ("e3", "invoiced"),
        ("e2", "invoiced"),
        ("e1", "pending"),
    ]
    with engine.connect() as conn:
        rows = {r.entry_id: r for r in listed_entries(conn, state="invoiced", customer=("company", "c-acme"))}
    assert list(rows) == ["e7", "e3", "e2"]
    assert rows["e2"].note == "invoiced in Teamleader (invoice inv-42)"
    assert (rows["e2"].billing_type, rows["e2"].invoice_id) == ("invoice", "inv-42")
    assert rows["e3"].note == "prepaid in Teamleader"
    assert rows["e7"].note == "invoiced in Teamleader"
    assert (rows["e2"].amount_cents, rows["e2"].rounded_seconds, rows["e2"].duration_seconds) == (
        None,
        None,
        3600,
    )
    assert not rows["e2"].needs_rate and rows["e2"].flags == ()


def test_filters_and_limit_apply_to_invoiced_entries_too(service: BudgetsService, engine: Engine) -> None:
    assert _states(engine, budget_id="b1", limit=2) == [("e8", "subtracted"), ("e7", "invoiced")]
    assert _states(engine, state="pending") == [("e1", "pending")]
    assert _states(engine, flagged=True) == [("e8", "subtracted")]
    assert _states(engine, state="invoiced", flagged=True) == []
    assert _states(engine, customer=("company", "c-globex")) == []
    assert _states(engine, budget_id="b1", entry_ids=["e2", "e1"]) == [("e2", "invoiced"), ("e1", "pending")]


def test_nothing_is_stored_for_invoiced_entries(service: BudgetsService, engine: Engine) -> None:
    with engine.connect() as conn:
        live = conn.execute(
            select(entry_allocation.c.time_entry_id, entry_allocation.c.state).order_by(
                entry_allocation.c.time_entry_id
            )
        ).all()
    assert [tuple(r) for r in live] == [("e1", "pending"), ("e7", "released"), ("e8", "subtracted")]


def test_subtracting_an_invoiced_entry_is_refused_with_the_invoice(
    service: BudgetsService, engine: Engine
) -> None:
    before = line_sum(engine, "b1")
    with pytest.raises(ChoiceRefused, match=r"time entry e2: invoiced in Teamleader \(invoice inv-42\)"):
        service.choose(Choice.SUBTRACT, Selection(("e2",)), actor="anna")
    with pytest.raises(ChoiceRefused, match=r"cannot be subtracted .*listed as invoiced, read-only"):
        service.choose(Choice.SUBTRACT, Selection(("e1", "e3"), budget_id="b1"), actor="anna")
    with pytest.raises(ChoiceRefused, match=r"e7: invoiced in Teamleader, .* cannot be excluded"):
        service.choose(Choice.EXCLUDE, Selection(("e7",)), actor="anna")
    assert line_sum(engine, "b1") == before
    assert _states(engine, budget_id="b1", state="pending") == [("e1", "pending")]


def test_undo_of_a_subtraction_teamleader_invoiced_still_works(
    service: BudgetsService, engine: Engine
) -> None:
    result = service.choose(Choice.UNDO, Selection(("e8",)), actor="anna")
    assert result.changed == (("b1", "e8", "reversed"),)
    assert ("e8", "invoiced") in _states(engine, budget_id="b1")


def test_the_budget_time_zone_and_migration_decide_the_edges(engine: Engine) -> None:
    """Teamleader's day and the budget's local day differ around midnight: the rules decide."""
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    late = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # 2026-01-01 00:30 in Brussels
    put_entry(engine, "edge-in", day=date(2025, 12, 31), started_at=late, billing_type="invoice")
    early = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # 2026-02-01 in Brussels: after the end
    put_entry(engine, "edge-out", day=date(2026, 1, 31), started_at=early, billing_type="invoice")
    put_entry(engine, "moved", day=date(2026, 1, 10), billing_type="prepaid")
    b = make_budget(end=date(2026, 1, 31), migrated_on=date(2026, 1, 15), status=BudgetStatus.CLOSED)
    service.create(b, actor="test")
    put_entry(engine, "kept", day=date(2026, 1, 20), billing_type="invoice")
    assert _states(engine, budget_id="b1") == [("kept", "invoiced")]
    service.update(replace(b, migrated_on=None), actor="test")
    assert _states(engine, budget_id="b1") == [
        ("kept", "invoiced"),
        ("moved", "invoiced"),
        ("edge-in", "invoiced"),
    ]


def test_a_page_turned_away_by_the_rules_reads_the_next(engine: Engine) -> None:
    """Entries SQL cannot tell apart (the day after the end in UTC, outside in local time) fill
    more than a page; the listing reads on until it has what was asked for."""
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    outside = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
    for n in range(60):
        put_entry(engine, f"out-{n:02d}", day=date(2026, 2, 1), started_at=outside, billing_type="invoice")
    put_entry(engine, "in", day=date(2026, 1, 31), billing_type="invoice")
    service.create(make_budget(end=date(2026, 1, 31)), actor="test")
    with engine.connect() as conn:
        assert [r.entry_id for r in invoiced_rows(conn, budget_id="b1", limit=1)] == ["in"]
        assert [r.entry_id for r in invoiced_rows(conn, budget_id="b1")] == ["in"]
        total = conn.execute(select(func.count()).select_from(entry_allocation)).scalar_one()
    assert total == 0


def test_each_budget_of_the_customer_lists_its_own_dates(engine: Engine) -> None:
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    put_entry(engine, "old", day=date(2025, 6, 2), billing_type="invoice")
    put_entry(engine, "new", day=date(2026, 2, 2), billing_type="invoice")
    last_year = make_budget(
        id="b2025", start=date(2025, 1, 1), end=date(2025, 12, 31), status=BudgetStatus.CLOSED
    )
    service.create(last_year, actor="test")
    service.create(make_budget(), actor="test")
    assert _states(engine, customer=("company", "c-acme")) == [("new", "invoiced"), ("old", "invoiced")]
    with engine.connect() as conn:
        by_budget = {r.entry_id: r.budget_id for r in listed_entries(conn)}
    assert by_budget == {"new": "b1", "old": "b2025"}
    with pytest.raises(ChoiceRefused, match="budget 'Acme support 2026' never counts it"):
        service.choose(Choice.SUBTRACT, Selection(("new",)), actor="anna")


def test_the_dashboard_shows_them_read_only(service: BudgetsService, engine: Engine) -> None:
    adapter = BudgetsWebAdapter(service)
    page = adapter.budget_page("b1")
    assert [(e.id, e.warning, e.teamleader_invoice_id) for e in page.invoiced] == [
        ("e7", "invoiced in Teamleader", None),
        ("e3", "prepaid in Teamleader", None),
        ("e2", "invoiced in Teamleader (invoice inv-42)", "inv-42"),
    ]
    assert page.invoiced[-1].rounded_seconds == 3600 and page.invoiced[-1].amount is None
    assert [e.id for e in page.pending] == ["e1"] and [e.id for e in page.subtracted] == ["e8"]
    assert [e.id for e in adapter.entries("b1", EntryState.INVOICED)] == ["e7", "e3", "e2"]
    with pytest.raises(WebChoiceRefused, match=r"invoiced in Teamleader \(invoice inv-42\)"):
        adapter.subtract("b1", ["e1", "e2"], "anna")
    assert [e.id for e in adapter.entries("b1", EntryState.PENDING)] == ["e1"]
