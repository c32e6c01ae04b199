"""What the web adapters hand the pages to put into words, on SQLite and PostgreSQL: a ledger line
with its time entry's day, person and description and its valuation; top-ups by invoice number,
never by id; and the top-ups page's listing, retry and cancel over the outbox."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from budgets_fixtures import NOW, add_company, make_budget, put_entry, put_topup
from sqlalchemy import Engine, insert
from support.clock import PinnedClock

from connector.billing import ReplenishMode, ReplenishSettings
from connector.budgets import BudgetsService
from connector.budgets.invoicing_ports import LedgerCredits
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.budgets.web_topups import BudgetsTopupDesk
from connector.invoicing.ports import InvoiceApi
from connector.storage.tables.sync import tl_user
from connector.web.ports import TopupRefused, UnknownTopup
from connector.web.views import StatementPeriod


def _no_api() -> InvoiceApi:
    raise AssertionError("a planned top-up has no draft in Teamleader to delete")


@pytest.fixture
def adapter(engine: Engine) -> BudgetsWebAdapter:
    """b1 of Acme NV: Ann Peeters' 20 minutes on 2 March subtracted, invoice 2026 / 45 credited."""
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    add_company(engine, "c-acme", "Acme NV")
    with engine.begin() as conn:
        conn.execute(
            insert(tl_user).values(
                id="u-ann", first_name="Ann", last_name="Peeters", raw={}, content_hash="x", synced_at=NOW
            )
        )
    replenish = ReplenishSettings(
        ReplenishMode.AUTO, fixed_amount=Decimal(1000), department_id="d1", tax_rate_id="t1"
    )
    service.create(make_budget(replenish=replenish, threshold=Decimal(5000)), actor="test")
    put_entry(engine, "e1", seconds=1200, description="Fix the login page")
    service.apply_entries(["e1"])
    put_topup(
        engine, "t1", "credited", at=NOW - timedelta(days=5), invoice_id="inv-45", invoice_number="2026 / 45"
    )
    with engine.begin() as conn:
        LedgerCredits().credit(
            conn,
            budget_id="b1",
            topup_id="t1",
            invoice_id="inv-45",
            invoice_number="2026 / 45",
            amount_cents=100_000,
            quantity_seconds=None,
            now=NOW,
        )
    adapter = BudgetsWebAdapter(service)
    adapter.subtract("b1", ["e1"], "web:anna")
    return adapter


def test_ledger_lines_carry_their_entry_valuation_and_invoice_number(adapter: BudgetsWebAdapter) -> None:
    by_kind = {line.kind: line for line in adapter.budget_page("b1").ledger}
    subtraction = by_kind["subtraction"]
    assert (subtraction.entry_day, subtraction.person, subtraction.entry_description) == (
        date(2026, 3, 2),
        "Ann Peeters",
        "Fix the login page",
    )
    assert (subtraction.duration_seconds, subtraction.rounded_seconds) == (1200, 1800)
    assert (subtraction.rate, subtraction.rate_source) == (Decimal("90.00"), "budget_default")
    assert by_kind["topup_credit"].invoice_number == "2026 / 45"
    assert [line.invoice_number for line in adapter.ledger("b1") if line.kind == "topup_credit"] == [
        "2026 / 45"
    ]
    row = adapter.budget_page("b1").budget
    assert (row.time_zone, row.rounding_seconds, row.statement_names) == ("Europe/Brussels", 900, False)


def test_a_statement_names_top_ups_by_invoice_number_and_no_actor_as_a_person(
    adapter: BudgetsWebAdapter,
) -> None:
    statement = adapter.statement("b1", StatementPeriod(date(2026, 1, 1), date(2026, 12, 31), "2026"))
    assert [t.invoice_number for t in statement.topups] == ["2026 / 45"]
    people = {line.kind: line.person for line in statement.lines}
    assert people == {"opening": "", "subtraction": "Ann Peeters"}
    subtraction = next(line for line in statement.lines if line.kind == "subtraction")
    assert (subtraction.duration_seconds, subtraction.rate_source) == (1200, "budget_default")


def test_the_topup_desk_lists_holds_retries_and_cancels(engine: Engine, adapter: BudgetsWebAdapter) -> None:
    for n in range(3):
        put_topup(engine, f"f{n}", "failed", at=NOW - timedelta(days=3 - n), last_error="unknown department")
    desk = BudgetsTopupDesk(engine, clock=PinnedClock(NOW), invoices=_no_api)
    rows = {r.topup.id: r for r in desk.listing()}
    failed = rows["f2"]
    assert (failed.customer_name, failed.budget_name, failed.last_error) == (
        "Acme NV",
        "Acme support 2026",
        "unknown department",
    )
    assert failed.hold is not None and failed.hold.code == "paused"
    assert (failed.can_retry, failed.can_cancel) == (True, True)
    assert (rows["t1"].can_retry, rows["t1"].can_cancel, rows["t1"].hold) == (False, False, None)
    assert rows["t1"].topup.invoice_number == "2026 / 45"

    desk.retry("f2", "web:anna")
    assert {r.topup.id: r.topup.state for r in desk.listing()}["f2"] == "drafting"
    with pytest.raises(TopupRefused, match="credited"):
        desk.retry("t1", "web:anna")
    with pytest.raises(UnknownTopup, match="no top-up with id 'nope'"):
        desk.cancel("nope", "web:anna")
    put_topup(engine, "p1", "planned", at=NOW, budget_id="b2")
    desk.cancel("p1", "web:anna")
    assert {r.topup.id: r.topup.state for r in desk.listing()}["p1"] == "cancelled"
