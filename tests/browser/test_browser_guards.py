"""Both balances and the double-billing flags in real headless Chromium, over the real budgets
service on SQLite: the budget page (flag banner, keep and reverse) and the statement."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from connector.bootstrap import Container
from connector.budgets import BudgetsService
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.settings import Settings
from connector.storage import create_db_engine
from connector.web.app import create_app
from connector.web.security import hash_password

_NAME = "budgets_fixtures"
if _NAME not in sys.modules:
    _path = Path(__file__).resolve().parents[1] / "integration" / "budgets" / f"{_NAME}.py"
    _spec = importlib.util.spec_from_file_location(_NAME, _path)
    assert _spec is not None and _spec.loader is not None
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_NAME])

from budgets_fixtures import auto_budget, put_entry  # noqa: E402

pytestmark = pytest.mark.browser
PASSWORD = "browser-guards-password"


@pytest.fixture
def guarded_site(tmp_path: Path, sqlite_url: str) -> Iterator[str]:
    """The dashboard over the budgets service: budget b1 with two flagged subtractions and a
    pending entry (so settled and provisional differ)."""
    browser_conftest = next(
        m
        for m in list(sys.modules.values())
        if getattr(m, "__file__", "") == str(Path(__file__).with_name("conftest.py"))
    )
    background_server = browser_conftest.BackgroundServer
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=sqlite_url,
        secret_key="browser-guards-secret-key-0123456789abcdef",
        admin_user="anna",
        admin_password_hash=hash_password(PASSWORD),
    )
    container = Container(settings, create_db_engine(settings.resolved_database_url))
    service = BudgetsService(container.engine)
    for entry_id in ("e1", "e2", "e3"):
        put_entry(container.engine, entry_id, description=f"Work {entry_id} #support")
    put_entry(container.engine, "e4", description="Not billable", invoiceable=False)
    service.create(auto_budget(), actor="test")
    for entry_id in ("e1", "e2"):
        put_entry(container.engine, entry_id, description=f"Work {entry_id} #support", billing_type="invoice")
    service.apply_entries(["e1", "e2"])
    adapter = BudgetsWebAdapter(service)
    server = background_server(create_app(container, read_model=adapter, actions=adapter))
    yield server.start()
    server.stop()
    container.close()


def _log_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_flags_and_both_balances_on_the_statement_and_the_budget_page(page: Page, guarded_site: str) -> None:
    _log_in(page, guarded_site)
    page.goto(f"{guarded_site}/budgets/b1/statements/2026-11")
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
