"""The budget page of a renewing hours budget in headless Chromium: the period bar and both figures.

Served by the real web adapter over a SQLite database, so the figures come from the ledger: a
20-hour monthly bundle at EUR 80/h, its first period opened by the period close, two hours worked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import insert
from support.web_server import BudgetsSite

from connector.billing import (
    Budget,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    Money,
    PeriodCadence,
    PeriodSettings,
    SubtractionMode,
    SubtractionRule,
    ValuationSettings,
)
from connector.budgets import BudgetsService
from connector.budgets.periods import PeriodCloser
from connector.storage.tables.sync import time_entry

pytestmark = pytest.mark.browser
BRUSSELS = ZoneInfo("Europe/Brussels")


@dataclass(frozen=True)
class Served:
    base_url: str
    days_left: int
    label: str


def _budget(today: date) -> Budget:
    return Budget(
        id="hours-1",
        customer=CustomerRef(CustomerType.COMPANY, "c-acme"),
        name="Support bundle",
        unit=BudgetUnit.hours(Money.of("80", "EUR")),
        start=today.replace(day=1),
        valuation=ValuationSettings(rounding_increment_seconds=900),
        mode=SubtractionMode.AUTO,
        rules=(SubtractionRule("all"),),
        periods=PeriodSettings(cadence=PeriodCadence.MONTH, allowance=Decimal("20")),
    )


@pytest.fixture
def served(budgets_site: BudgetsSite) -> Served:
    engine = budgets_site.engine
    now = budgets_site.clock.now()
    today = now.astimezone(BRUSSELS).date()
    service = BudgetsService(engine, clock=budgets_site.clock.now)
    service.create(_budget(today), actor="test")
    PeriodCloser(engine, clock=budgets_site.clock.now).close_due()
    month_start = datetime.combine(today.replace(day=1), datetime.min.time(), BRUSSELS).astimezone(UTC)
    started = max(now - timedelta(minutes=5), month_start)
    with engine.begin() as conn:
        conn.execute(
            insert(time_entry).values(
                id="e1",
                revision=1,
                user_id="u-ann",
                started_on=started.astimezone(BRUSSELS).date(),
                started_at=started,
                duration_seconds=7000,
                description="Server upgrade",
                subject_type="company",
                customer_type="company",
                customer_id="c-acme",
                invoiceable=True,
                raw={},
                content_hash="x",
                synced_at=started,
            )
        )
    service.apply_entries(["e1"])
    first_of_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Served(budgets_site.url, (first_of_next - today).days, f"{today:%Y-%m}")


def test_budget_page_shows_the_period_bar_and_both_figures(signed_in: Page, served: Served) -> None:
    page = signed_in
    page.goto(f"{served.base_url}/budgets/hours-1")

    expect(page.locator("#settled")).to_have_text("18.00 h")
    expect(page.locator("#other-figure")).to_have_text("EUR 1,440.00 at the hour price")
    period = page.locator("#period")
    expect(period).to_contain_text(f"Period {served.label}")
    expect(period).to_contain_text(f"10% used · {served.days_left} day")
    expect(period).to_contain_text("Closed today: 18.00 h rolls over")
    bar = period.locator(".period-bar > span")
    expect(bar).to_have_attribute("style", "width: 10%")
