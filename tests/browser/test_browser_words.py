"""What a person reads, in headless Chromium over the real budgets service on SQLite: the ledger and
the statement in words (kinds, the entry's day, person and description, rounding, invoice numbers,
local times, a running balance), a customer's link that shows only what concerns the customer,
the top-ups page with its hold, reason, retry and cancel, error pages in the product's layout, the
feedback of a choice with nothing ticked, and a phone-sized screen on which nothing overflows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from budgets_fixtures import GLOBEX, add_company, make_budget, put_entry, put_topup
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, insert, select
from support.clock import PinnedClock
from support.web_server import BudgetsSite

from connector.billing import ReplenishMode, ReplenishSettings
from connector.budgets import BudgetsService, Choice, Selection
from connector.budgets.invoicing_ports import LedgerCredits
from connector.storage.tables.invoicing import topup
from connector.storage.tables.sync import tl_user

pytestmark = pytest.mark.browser
ZONE = "Europe/Brussels"
LOCAL_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d CES?T$")


@dataclass(frozen=True)
class Site:
    url: str
    engine: Engine
    now: datetime
    worked: date


@pytest.fixture
def worded_site(budgets_site: BudgetsSite) -> Site:
    """Budget b1 of Acme Logistics (rounding to the quarter hour, EUR 90 an hour, opening EUR 2,000):
    Ann Peeters' 20 minutes of yesterday subtracted by anna, and top-up invoice 2026 / 45 of
    EUR 1,000 credited; its last three automatic top-ups before that failed."""
    engine, now = budgets_site.engine, budgets_site.clock.now()
    worked = now.astimezone(make_budget(time_zone=ZONE).zone).date() - timedelta(days=1)
    add_company(engine, "c-acme", "Acme Logistics")
    with engine.begin() as conn:
        conn.execute(
            insert(tl_user).values(
                id="u-ann", first_name="Ann", last_name="Peeters", raw={}, content_hash="x", synced_at=now
            )
        )
    service = BudgetsService(engine, clock=PinnedClock(now))
    service.create(make_budget(time_zone=ZONE, start=worked - timedelta(days=400)), actor="test")
    put_entry(engine, "e1", day=worked, seconds=20 * 60, description="Fix the login page")
    service.apply_entries(["e1"])
    service.choose(Choice.SUBTRACT, Selection(("e1",)), actor="web:anna")
    put_topup(
        engine,
        "t-credited",
        "credited",
        at=now - timedelta(days=10),
        invoice_id="inv-45",
        invoice_number="2026 / 45",
    )
    with engine.begin() as conn:
        LedgerCredits().credit(
            conn,
            budget_id="b1",
            topup_id="t-credited",
            invoice_id="inv-45",
            invoice_number="2026 / 45",
            amount_cents=100_000,
            quantity_seconds=None,
            now=now,
        )
    return Site(budgets_site.url, engine, now, worked)


def test_the_ledger_reads_in_words_with_local_times_and_a_running_balance(
    signed_in: Page, worded_site: Site
) -> None:
    page = signed_in
    page.goto(f"{worded_site.url}/budgets/b1")
    ledger = page.locator("table.ledger")
    subtraction = ledger.locator("tr.line.subtraction")
    expect(subtraction.locator(".what")).to_have_text("Time subtracted")
    expect(subtraction).to_contain_text(
        f"{worded_site.worked.isoformat()} · Ann Peeters · Fix the login page"
    )
    expect(subtraction).to_contain_text(
        "20 min, rounded up to the quarter hour (30 min) at EUR 90.00 an hour"
    )
    expect(subtraction.locator("a.entry-link")).to_have_attribute("href", "#entry-e1")
    expect(subtraction).to_contain_text("anna")
    expect(ledger.locator("tr.line.topup_credit .what")).to_have_text("Top-up invoice 2026 / 45")
    expect(ledger.locator("tr.line.opening .what")).to_have_text("Opening credit")
    for when in ledger.locator("td.when").all_inner_texts():
        assert LOCAL_TIME.match(when), when
    balances = ledger.locator("td.balance").all_inner_texts()
    assert balances[0] == "EUR 2,955.00" == page.locator("#settled").inner_text()
    assert balances[-1] == "EUR 2,000.00"
    text = ledger.inner_text()
    for engineer_word in ("topup_credit", "rounded to 1800s", "budget_default", "UTC", "web:anna", "inv-45"):
        assert engineer_word not in text


def test_the_customer_link_shows_only_what_concerns_the_customer(
    signed_in: Page, worded_site: Site, browser: Browser
) -> None:
    page = signed_in
    today = worded_site.now.astimezone(make_budget(time_zone=ZONE).zone).date()
    page.goto(f"{worded_site.url}/budgets/b1/statement?period={worded_site.worked}..{today}")
    expect(page.locator("#statement-provisional")).to_be_visible()
    expect(page.locator("table.statement-lines tr.line.subtraction")).to_contain_text("Ann Peeters")
    page.get_by_role("button", name="Create a link for the customer").click()
    token = page.locator("#customer-link").input_value().rsplit("/statement-links/", 1)[1]
    link = f"{worded_site.url}/statement-links/{token}"  # PREPAID_PUBLIC_URL is not this test's port

    customer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    customer.goto(link)
    lines = customer.locator("table.statement-lines")
    subtraction = lines.locator("tr.line.subtraction")
    expect(subtraction.locator(".what")).to_have_text("Time subtracted")
    expect(subtraction).to_contain_text("Fix the login page")
    expect(subtraction).to_contain_text(
        "20 min, rounded up to the quarter hour (30 min) at EUR 90.00 an hour"
    )
    expect(lines.locator("tr.line.topup_credit .what")).to_have_text("Top-up invoice 2026 / 45")
    balances = lines.locator("td.balance").all_inner_texts()
    assert balances[-1] == customer.locator("#closing").inner_text()
    expect(customer.locator("#statement-settled")).to_have_text("EUR 2,955.00")
    body = customer.locator("body").inner_text()
    for internal in ("Ann Peeters", "rovisional", "budget's rate", "rule", "inv-45", "t-credited", "anna"):
        assert internal not in body
    expect(customer.locator('a[href^="/budgets"], a[href="/"], nav.sections')).to_have_count(0)

    customer.goto(link[:-4] + "xxxx")
    expect(customer.locator("h1")).to_have_text("This statement link is not valid")
    expect(customer.locator("main")).to_contain_text("account manager")
    expect(customer.locator('main a[href="/"], nav.sections')).to_have_count(0)
    customer.context.close()


@pytest.fixture
def failing_site(worded_site: Site) -> Site:
    """`worded_site` whose b1 replenishes automatically and whose last three top-ups failed (so
    top-ups are paused), and a budget b2 of Globex with a planned top-up."""
    engine, now = worded_site.engine, worded_site.now
    replenish = ReplenishSettings(
        ReplenishMode.AUTO, fixed_amount=Decimal(1000), department_id="d1", tax_rate_id="t1"
    )
    service = BudgetsService(engine, clock=PinnedClock(now))
    current = service.budget("b1")
    service.update(
        make_budget(time_zone=ZONE, start=current.start, replenish=replenish, threshold=Decimal(5000)),
        actor="test",
    )
    add_company(engine, GLOBEX.id, "Globex")
    service.create(make_budget(id="b2", customer=GLOBEX, name="Globex hosting"), actor="test")
    for n in range(3):
        put_topup(
            engine, f"t-failed-{n}", "failed", at=now - timedelta(days=3 - n), last_error="unknown department"
        )
    put_topup(engine, "t-planned", "planned", at=now - timedelta(hours=1), budget_id="b2")
    return worded_site


def test_a_failed_topup_shows_its_hold_and_reason_on_the_overview_and_the_budget_page(
    signed_in: Page, failing_site: Site
) -> None:
    page = signed_in
    page.goto(f"{failing_site.url}/")
    row = page.locator('tr[data-budget="b1"]')
    held = row.locator('td.attention [data-concern="topup_held"]')
    expect(held).to_contain_text("Top-up held: automatic top-ups are paused after repeated failures")
    expect(page.locator('#overview-counts [data-concern="topup_held"]')).to_have_attribute("data-count", "1")
    expect(page.locator('tr[data-budget="b2"] [data-concern="topup_held"]')).to_have_count(0)

    row.locator('a[href="/budgets/b1"]').click()
    hold = page.locator("#topup-hold")
    expect(hold).to_have_attribute("data-code", "paused")
    expect(hold).to_contain_text("automatic top-ups are paused after repeated failures")
    expect(hold).to_contain_text("prepaid topups retry")


def test_the_topups_page_shows_a_failed_topup_with_its_hold_and_retries_it(
    signed_in: Page, failing_site: Site
) -> None:
    page = signed_in
    page.goto(f"{failing_site.url}/topups")
    expect(page.locator('nav.sections a[aria-current="page"]')).to_have_text("Top-ups")
    failed = page.locator('tr[data-topup="t-failed-2"]')
    expect(failed.locator(".state")).to_have_text("Failed")
    expect(failed).to_contain_text("Acme Logistics")
    expect(failed).to_contain_text("Failed after 1 attempt: unknown department")
    expect(failed.locator(".hold")).to_have_attribute("data-code", "paused")
    expect(failed).to_contain_text("automatic top-ups are paused after repeated failures")
    credited = page.locator('tr[data-topup="t-credited"]')
    expect(credited).to_contain_text("2026 / 45")
    expect(credited.get_by_role("button")).to_have_count(0)

    failed.get_by_role("button", name="Retry").click()
    expect(page.locator("#notice")).to_contain_text("Top-up t-failed-2 is due again")
    expect(page.locator('tr[data-topup="t-failed-2"] .state')).to_have_text("Being drafted")
    with failing_site.engine.connect() as conn:
        status = conn.execute(select(topup.c.status).where(topup.c.id == "t-failed-2")).scalar_one()
    assert status == "drafting"

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('tr[data-topup="t-planned"]').get_by_role("button", name="Cancel").click()
    expect(page.locator("#notice")).to_contain_text("Top-up t-planned is cancelled")
    planned = page.locator('tr[data-topup="t-planned"]')
    expect(planned.locator(".state")).to_have_text("Cancelled")
    expect(planned).to_contain_text("Globex")


def test_error_pages_say_what_to_do_next_in_the_products_layout(signed_in: Page, worded_site: Site) -> None:
    page = signed_in
    response = page.goto(f"{worded_site.url}/budgets/no-such-budget")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("This budget does not exist")
    expect(page.locator("nav.sections")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the overview")).to_have_attribute("href", "/")
    expect(page.locator("main")).not_to_contain_text("prepaid budgets list")

    page.goto(f"{worded_site.url}/budgets/b1/statement?period=soon")
    expect(page.locator("h1")).to_have_text("That period is not understood")
    expect(page.get_by_role("link", name="Back to the budget")).to_have_attribute("href", "/budgets/b1")


def test_subtract_with_nothing_ticked_says_so_and_changes_nothing(signed_in: Page, worded_site: Site) -> None:
    put_entry(worded_site.engine, "e2", day=worded_site.worked, seconds=3600, description="Pending work")
    BudgetsService(worded_site.engine, clock=PinnedClock(worded_site.now)).apply_entries(["e2"])
    page = signed_in
    page.goto(f"{worded_site.url}/budgets/b1")
    settled = page.locator("#settled").get_attribute("data-value")
    page.get_by_role("button", name="Subtract selected").click()
    hint = page.locator("[data-hint]")
    expect(hint).to_be_visible()
    expect(hint).to_have_text("Tick at least one entry first, then press Subtract selected.")
    page.reload()
    assert page.locator("#settled").get_attribute("data-value") == settled
    expect(page.locator('table.entries:not(.done) tr[data-entry="e2"]')).to_be_visible()


def test_nothing_overflows_a_phone_screen(browser: Browser, worded_site: Site) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{worded_site.url}/login")
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", "browser-test-password")
    page.click("button[type=submit]")
    period = f"{worded_site.worked:%Y-%m}"
    for path in ("/", "/budgets/b1", "/topups", "/statements", f"/budgets/b1/statements/{period}", "/nope"):
        page.goto(f"{worded_site.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide"
    context.close()
