"""The budget page in headless Chromium, over the real budgets service on SQLite: entries Teamleader
invoiced itself are listed read-only with their invoice, and the banner says why top-ups are held
(and the forecast, once the budget burns, promises no top-up date under it)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import insert

from connector.billing import ReplenishMode, ReplenishSettings
from connector.bootstrap import Container
from connector.budgets import BudgetsService
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.settings import Settings
from connector.storage import create_db_engine
from connector.storage.tables.invoicing import topup
from connector.web.app import create_app
from connector.web.security import hash_password

_NAME = "budgets_fixtures"
if _NAME not in sys.modules:
    _path = Path(__file__).resolve().parents[1] / "integration" / "budgets" / f"{_NAME}.py"
    _spec = importlib.util.spec_from_file_location(_NAME, _path)
    assert _spec is not None and _spec.loader is not None
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_NAME])

from budgets_fixtures import make_budget, put_entry  # noqa: E402

pytestmark = pytest.mark.browser
PASSWORD = "browser-invoiced-password"


@pytest.fixture
def invoiced_site(tmp_path: Path, sqlite_url: str) -> Iterator[str]:
    """Budget b1 (manual, auto top-ups): two pending entries, one Teamleader invoiced, one it
    settled with its prepaid, and the last three top-ups failed (so top-ups are paused)."""
    browser_conftest = next(
        m
        for m in list(sys.modules.values())
        if getattr(m, "__file__", "") == str(Path(__file__).with_name("conftest.py"))
    )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=sqlite_url,
        secret_key="browser-invoiced-secret-key-0123456789abcdef",
        admin_user="anna",
        admin_password_hash=hash_password(PASSWORD),
    )
    container = Container(settings, create_db_engine(settings.resolved_database_url))
    engine = container.engine
    put_entry(engine, "e1", description="Support call #support")
    put_entry(engine, "e2", description="Release notes", seconds=1800)
    put_entry(
        engine, "e5", description="Website launch", seconds=5400, billing_type="invoice", invoice_id="inv-42"
    )
    put_entry(engine, "e6", description="Old ticket", billing_type="prepaid")
    replenish = ReplenishSettings(
        ReplenishMode.AUTO, fixed_amount=Decimal(1000), department_id="d1", tax_rate_id="t1"
    )
    service = BudgetsService(engine)
    service.create(make_budget(replenish=replenish), actor="test")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for n in range(3):
            at = now - timedelta(days=3 - n)
            conn.execute(
                insert(topup).values(
                    id=f"t{n}",
                    budget_id="b1",
                    kind="topup",
                    status="failed",
                    reason="balance below threshold",
                    amount_cents=100000,
                    marker=f"PP-T{n}",
                    attempts=5,
                    last_error="unknown department",
                    created_at=at,
                    updated_at=at,
                )
            )
    adapter = BudgetsWebAdapter(service)
    server = browser_conftest.BackgroundServer(create_app(container, read_model=adapter, actions=adapter))
    yield server.start()
    server.stop()
    container.close()


def _log_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_invoiced_entries_are_shown_read_only_and_the_hold_says_why(page: Page, invoiced_site: str) -> None:
    _log_in(page, invoiced_site)
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
