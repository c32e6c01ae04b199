"""The budget page's forecast in headless Chromium, over the real budgets service on SQLite: under a
"paused" banner it promises no top-up date and says the top-up is held, while still showing when the
balance crosses the threshold and reaches zero; once a top-up goes through, the date comes back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from budgets_fixtures import make_budget, put_entry, put_topup
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from support.clock import PinnedClock
from support.web_server import BudgetsSite

from connector.billing import ReplenishMode, ReplenishSettings
from connector.budgets import BudgetsService, Choice, Selection

pytestmark = pytest.mark.browser
PAUSED = "automatic top-ups are paused after repeated failures"


@dataclass(frozen=True)
class Site:
    url: str
    engine: Engine
    now: datetime


@pytest.fixture
def paused_site(budgets_site: BudgetsSite) -> Site:
    """Budget b1 (auto top-ups of EUR 1,000, threshold 500): 10 hours (EUR 900) worked and
    subtracted today, so it burns EUR 30 a day, and its last three top-ups failed (so top-ups are
    paused)."""
    engine, now = budgets_site.engine, budgets_site.clock.now()
    replenish = ReplenishSettings(
        ReplenishMode.AUTO, fixed_amount=Decimal(1000), department_id="d1", tax_rate_id="t1"
    )
    service = BudgetsService(engine, clock=PinnedClock(now))
    service.create(make_budget(replenish=replenish), actor="test")
    today = now.astimezone(make_budget().zone).date()
    put_entry(engine, "work", seconds=10 * 3600, day=today, started_at=now)
    service.apply_entries(["work"])
    service.choose(Choice.SUBTRACT, Selection(("work",)), actor="anna")
    for n in range(3):
        put_topup(engine, f"t{n}", "failed", at=now - timedelta(days=3 - n), last_error="unknown department")
    return Site(budgets_site.url, engine, now)


def test_the_forecast_under_a_paused_banner_promises_no_top_up(signed_in: Page, paused_site: Site) -> None:
    page = signed_in
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

    put_topup(paused_site.engine, "t3", "credited", at=paused_site.now - timedelta(hours=1))
    page.reload()
    expect(page.locator("#topup-hold")).to_have_count(0)
    coming = page.locator("#next-topup")
    expect(coming).to_have_attribute("data-date", crossing.isoformat())
    expect(coming).to_contain_text(f"next top-up {crossing.isoformat()}")
    expect(coming).to_contain_text("1,000.00")
    expect(page.locator("#zero-date")).to_have_text(f"zero on {zero.isoformat()}")
