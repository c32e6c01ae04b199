"""The account manager's path in real headless Chromium: log in, choose, undo, read the statement."""

from __future__ import annotations

import calendar
import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _log_in(page: Page, stack: object) -> None:
    page.goto(f"{stack.base_url}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", stack.username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", stack.password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")


def _settled(page: Page) -> Decimal:
    return Decimal(page.locator("#settled").get_attribute("data-value") or "nan")


def test_wrong_password_stays_on_the_login_page(page: Page, web_stack: object) -> None:
    page.goto(f"{web_stack.base_url}/")  # type: ignore[attr-defined]
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.fill("input[name=username]", web_stack.username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("Wrong user name or password")


def test_subtract_three_undo_one_and_read_the_statement(page: Page, web_stack: object) -> None:
    stack = web_stack
    _log_in(page, stack)
    expect(page.locator("h1")).to_have_text("Budgets")
    expect(page.locator("table.overview tbody tr").first).to_be_visible()
    page.screenshot(path=_artifact("overview"), full_page=True)

    page.click(f'a[href="/budgets/{stack.budget_id}"]')  # type: ignore[attr-defined]
    before = _settled(page)
    rows = page.locator("table.entries:not(.done) tbody tr")
    chosen = [rows.nth(i) for i in range(3)]
    ids = [row.get_attribute("data-entry") or "" for row in chosen]
    amounts = [Decimal(row.get_attribute("data-amount") or "nan") for row in chosen]
    descriptions = [row.locator("td").nth(4).inner_text().strip() for row in chosen]
    worked = [row.locator("td").nth(1).inner_text().strip() for row in chosen]
    for row in chosen:
        row.locator("input[type=checkbox]").check()
    page.get_by_role("button", name="Subtract selected").click()
    after_subtract = before - sum(amounts, Decimal(0))
    expect(page.locator("#settled")).to_have_attribute("data-value", str(after_subtract))
    for entry_id in ids:
        expect(page.locator(f'table.done tr[data-entry="{entry_id}"]')).to_be_visible()
    page.screenshot(path=_artifact("subtracted"), full_page=True)

    page.locator(f'table.done tr[data-entry="{ids[0]}"]').get_by_role("button", name="Undo").click()
    expect(page.locator("#settled")).to_have_attribute("data-value", str(after_subtract + amounts[0]))
    expect(page.locator(f'table.entries:not(.done) tr[data-entry="{ids[0]}"]')).to_be_visible()
    assert page.url.endswith(f"/budgets/{stack.budget_id}")  # type: ignore[attr-defined]

    # Lines count on the day the time was worked (an undo of last month's work counts today):
    # the statement from the earliest chosen entry's day to the end of this month has them all.
    year, month = (int(part) for part in stack.period.split("-"))  # type: ignore[attr-defined]
    last = date(year, month, calendar.monthrange(year, month)[1])
    page.fill("input[name=period]", f"{min(worked)}..{last.isoformat()}")
    page.get_by_role("button", name="Open statement").click()
    expect(page.locator("h1")).to_contain_text("Statement")
    lines = page.locator("tr.line")
    for description in descriptions:
        expect(lines.filter(has_text=description).first).to_be_visible()
    expect(page.locator("tr.line.reversal")).to_have_count(1)
    expect(page.locator("tr.line.subtraction")).to_have_count(3)
    expect(page.locator("#closing")).to_be_visible()
    page.screenshot(path=_artifact("statement"), full_page=True)


def _artifact(step: str) -> str:
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return str(folder / f"browser-{step}.png")
