"""The budget page's forecast in headless Chromium, over the real budgets service on SQLite: under a
"paused" banner it promises no top-up date and says the top-up is held, while still showing when the
balance crosses the threshold and reaches zero; once a top-up goes through, the date comes back."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, insert

from connector.billing import ReplenishMode, ReplenishSettings
from connector.bootstrap import Container
from connector.budgets import BudgetsService, Choice, Selection
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

from budgets_fixtures import Clock, make_budget, put_entry  # noqa: E402

pytestmark = pytest.mark.browser
PASSWORD = "browser-forecast-password"
PAUSED = "automatic top-ups are paused after repeated failures"


@dataclass(frozen=True)
class Site:
    url: str
    engine: Engine
    now: datetime


def _topup(engine: Engine, topup_id: str, status: str, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(topup).values(
                id=topup_id,
                budget_id="b1",
                kind="topup",
                status=status,
                reason="balance below threshold",
                amount_cents=100000,
                marker=f"PP-{topup_id}",
                attempts=1,
                last_error="unknown department" if status == "failed" else None,
                created_at=at,
                updated_at=at,
            )
        )


@pytest.fixture
def paused_site(tmp_path: Path, sqlite_url: str) -> Iterator[Site]:
    """Budget b1 (auto top-ups of EUR 1,000, threshold 500): 10 hours (EUR 900) subtracted today,
    so it burns EUR 30 a day, and its last three top-ups failed (so top-ups are paused)."""
    browser_conftest = next(
        m
        for m in list(sys.modules.values())
        if getattr(m, "__file__", "") == str(Path(__file__).with_name("conftest.py"))
    )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=sqlite_url,
        secret_key="browser-forecast-secret-key-0123456789abcdef",
        admin_user="anna",
        admin_password_hash=hash_password(PASSWORD),
    )
    container = Container(settings, create_db_engine(settings.resolved_database_url))
    engine, now = container.engine, datetime.now(UTC)
    replenish = ReplenishSettings(
        ReplenishMode.AUTO, fixed_amount=Decimal(1000), department_id="d1", tax_rate_id="t1"
    )
    service = BudgetsService(engine, clock=Clock(now))
    service.create(make_budget(replenish=replenish), actor="test")
    put_entry(engine, "work", seconds=10 * 3600)
    service.apply_entries(["work"])
    service.choose(Choice.SUBTRACT, Selection(("work",)), actor="anna")
    for n in range(3):
        _topup(engine, f"t{n}", "failed", now - timedelta(days=3 - n))
    adapter = BudgetsWebAdapter(BudgetsService(engine))
    server = browser_conftest.BackgroundServer(create_app(container, read_model=adapter, actions=adapter))
    yield Site(server.start(), engine, now)
    server.stop()
    container.close()


def test_the_forecast_under_a_paused_banner_promises_no_top_up(page: Page, paused_site: Site) -> None:
    page.goto(f"{paused_site.url}/login")
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{paused_site.url}/budgets/b1")

    today = paused_site.now.astimezone(make_budget().zone).date()
    crossing, zero = today + timedelta(days=21), today + timedelta(days=37)
    expect(page.locator("#topup-hold")).to_have_attribute("data-code", "paused")
    expect(page.locator("#threshold-date")).to_have_text(crossing.isoformat())
    expect(page.locator("#zero-date")).to_have_text(f"zero on {zero.isoformat()}")
    held = page.locator("#next-topup")
    expect(held).to_have_attribute("data-held", "paused")
    expect(held).to_contain_text(f"next top-up held: {PAUSED}")
    expect(page.locator("#forecast [data-date]")).to_have_count(0)
    expect(page.locator("#forecast")).not_to_contain_text(f"next top-up {crossing.isoformat()}")

    _topup(paused_site.engine, "t3", "credited", paused_site.now - timedelta(hours=1))
    page.reload()
    expect(page.locator("#topup-hold")).to_have_count(0)
    coming = page.locator("#next-topup")
    expect(coming).to_have_attribute("data-date", crossing.isoformat())
    expect(coming).to_contain_text(f"next top-up {crossing.isoformat()}")
    expect(coming).to_contain_text("1,000.00")
    expect(page.locator("#zero-date")).to_have_text(f"zero on {zero.isoformat()}")
