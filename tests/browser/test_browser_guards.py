"""Both balances and the double-billing flags in real headless Chromium, over the real budgets
service on SQLite: the budget page (flag banner, keep and reverse) and the statement."""

from __future__ import annotations

from decimal import Decimal

import pytest
from budgets_fixtures import auto_budget, put_entry
from playwright.sync_api import Page, expect
from support.web_server import BudgetsSite

from connector.budgets import BudgetsService

pytestmark = pytest.mark.browser


@pytest.fixture
def guarded_site(budgets_site: BudgetsSite) -> str:
    """Budget b1 with two flagged subtractions and a pending entry (so settled and provisional differ)."""
    engine = budgets_site.engine
    service = BudgetsService(engine, clock=budgets_site.clock.now)
    for entry_id in ("e1", "e2", "e3"):
        put_entry(engine, entry_id, description=f"Work {entry_id} #support")
    put_entry(engine, "e4", description="Not billable", invoiceable=False)
    service.create(auto_budget(), actor="test")
    for entry_id in ("e1", "e2"):
        put_entry(engine, entry_id, description=f"Work {entry_id} #support", billing_type="invoice")
    service.apply_entries(["e1", "e2"])
    return budgets_site.url


def test_flags_and_both_balances_on_the_statement_and_the_budget_page(
    signed_in: Page, guarded_site: str, budgets_site: BudgetsSite
) -> None:
    page = signed_in
    period = "2026-03"  # the entries were worked on 2 March 2026 (`put_entry`'s day): their month
    page.goto(f"{guarded_site}/budgets/b1/statements/{period}")
    expect(page.locator("#statement-settled")).to_have_text("EUR 1,730.00")
    expect(page.locator("#statement-provisional")).to_have_text("EUR 1,640.00")
    flagged = page.locator("#statement-flagged li")
    expect(flagged).to_have_count(2)
    expect(flagged.first).to_contain_text("invoiced in teamleader")
    expect(page.locator("small.funded").first).to_contain_text("opening balance")

    page.goto(f"{guarded_site}/budgets/b1")
    expect(page.locator("#provisional")).to_have_attribute("data-value", "1640.00")
    expect(page.locator("#flagged")).to_contain_text("2 subtracted entries")
    settled = Decimal(page.locator("#settled").get_attribute("data-value") or "nan")
    assert settled == Decimal("1730.00")
    page.locator('table.done tr[data-entry="e1"]').get_by_role("button", name="Reverse").click()
    expect(page.locator("#settled")).to_have_attribute("data-value", "1820.00")
    expect(page.locator("#flagged")).to_contain_text("1 subtracted entry")
    page.locator('table.done tr[data-entry="e2"]').get_by_role("button", name="Keep").click()
    expect(page.locator("#flagged")).to_have_count(0)
    expect(page.locator("#settled")).to_have_attribute("data-value", "1820.00")
