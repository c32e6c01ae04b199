"""The budget page in headless Chromium, over the real budgets service on SQLite: entries Teamleader
invoiced itself are listed read-only with their invoice, and the banner says why top-ups are held
(and the forecast, once the budget burns, promises no top-up date under it)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from budgets_fixtures import make_budget, put_entry, put_topup
from playwright.sync_api import Page, expect
from support.web_server import BudgetsSite

from connector.billing import ReplenishMode, ReplenishSettings
from connector.budgets import BudgetsService

pytestmark = pytest.mark.browser


@pytest.fixture
def invoiced_site(budgets_site: BudgetsSite) -> str:
    """Budget b1 (manual, auto top-ups): two pending entries (one worked today, so subtracting it
    makes a recent burn), one Teamleader invoiced, one it settled with its prepaid, and the last three top-ups failed (so top-ups are paused)."""
    engine, now = budgets_site.engine, budgets_site.clock.now()
    today = now.astimezone(make_budget().zone).date()
    put_entry(engine, "e1", description="Support call #support", day=today, started_at=now)
    put_entry(engine, "e2", description="Release notes", seconds=1800)
    put_entry(
        engine, "e5", description="Website launch", seconds=5400, billing_type="invoice", invoice_id="inv-42"
    )
    put_entry(engine, "e6", description="Old ticket", billing_type="prepaid")
    replenish = ReplenishSettings(
        ReplenishMode.AUTO, fixed_amount=Decimal(1000), department_id="d1", tax_rate_id="t1"
    )
    BudgetsService(engine, clock=budgets_site.clock.now).create(
        make_budget(replenish=replenish), actor="test"
    )
    for n in range(3):
        put_topup(
            engine,
            f"t{n}",
            "failed",
            at=now - timedelta(days=3 - n),
            marker=f"PP-T{n}",
            attempts=5,
            last_error="unknown department",
        )
    return budgets_site.url


def test_invoiced_entries_are_shown_read_only_and_the_hold_says_why(
    signed_in: Page, invoiced_site: str
) -> None:
    page = signed_in
    page.goto(f"{invoiced_site}/budgets/b1")
    hold = page.locator("#topup-hold")
    expect(hold).to_have_attribute("data-code", "paused")
    expect(hold).to_contain_text("automatic top-ups are paused after repeated failures")
    expect(hold).to_contain_text("prepaid topups retry t2")

    invoiced = page.locator("#invoiced")
    expect(invoiced.locator("h2")).to_contain_text("Invoiced in Teamleader (2)")
    launch = invoiced.locator('tr[data-entry="e5"]')
    expect(launch).to_contain_text("Website launch")
    expect(launch).to_contain_text("invoiced in Teamleader (invoice inv-42)")
    expect(launch).to_contain_text("1:30")
    expect(invoiced.locator('tr[data-entry="e6"]')).to_contain_text("prepaid in Teamleader")
    expect(invoiced.locator("input, button")).to_have_count(0)
    pending = page.locator("table.entries:not(.done) tbody tr")
    expect(pending).to_have_count(2)
    expect(page.locator('table.entries tr[data-entry="e5"]')).to_have_count(0)

    page.locator('table.entries:not(.done) tr[data-entry="e1"] input[type=checkbox]').check()
    page.get_by_role("button", name="Subtract selected").click()
    expect(page.locator("#settled")).to_have_attribute("data-value", "1910.00")
    expect(page.locator('table.done tr[data-entry="e1"]')).to_be_visible()
    expect(page.locator("#invoiced tbody tr")).to_have_count(2)
    expect(page.locator("#topup-hold")).to_have_attribute("data-code", "paused")
    expect(page.locator("#zero-date")).to_contain_text("zero on ")
    expect(page.locator("#next-topup")).to_have_attribute("data-held", "paused")
    expect(page.locator("#next-topup")).to_contain_text("next top-up held: automatic top-ups are paused")
    expect(page.locator("#forecast [data-date]")).to_have_count(0)
