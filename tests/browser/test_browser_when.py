"""What a person reads is dated by when the work was done, in headless Chromium over the real
budgets service (SQLite): a past month's statement, the burn chart, and the overview's forecast.

The story is a first sync: today, an automatic budget subtracts at once work of two months ago,
of last month and of this month. A second budget, kept by hand, has more time pending than its
balance: only its provisional balance is negative, and the overview must say so first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from budgets_fixtures import GLOBEX, add_company, auto_budget, make_budget, put_entry
from playwright.sync_api import Page, expect
from support.web_server import BudgetsSite

from connector.budgets import BudgetsService

pytestmark = pytest.mark.browser
BRUSSELS = ZoneInfo("Europe/Brussels")


@dataclass(frozen=True)
class Story:
    base_url: str
    last_month: str
    worked_last_month: dict[str, date]


def _month_start(day: date, back: int) -> date:
    for _ in range(back):
        day = day.replace(day=1) - timedelta(days=1)
    return day.replace(day=1)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9), BRUSSELS).astimezone(UTC)


@pytest.fixture
def story(budgets_site: BudgetsSite) -> Story:
    engine, now = budgets_site.engine, budgets_site.clock.now()
    today = now.astimezone(BRUSSELS).date()
    two_ago, last = _month_start(today, 2), _month_start(today, 1)
    service = BudgetsService(engine, clock=budgets_site.clock.now)
    add_company(engine, "c-acme", "Acme NV")
    add_company(engine, "c-globex", "Globex BV")
    service.create(auto_budget(start=two_ago, opening_balance=Decimal("3000")), actor="test")
    service.create(
        make_budget(
            id="b2", customer=GLOBEX, name="Globex hours", start=two_ago, opening_balance=Decimal("100")
        ),
        actor="test",
    )
    worked = {"Design review": last.replace(day=20), "Kick-off workshop": last.replace(day=3)}
    put_entry(
        engine,
        "e-old",
        day=two_ago.replace(day=15),
        description="Audit",
        started_at=_at(two_ago.replace(day=15)),
    )
    for n, (text, day) in enumerate(worked.items()):
        put_entry(engine, f"e-last-{n}", day=day, seconds=5400, description=text, started_at=_at(day))
    started = max(now - timedelta(minutes=5), datetime.combine(today, time(0), BRUSSELS).astimezone(UTC))
    put_entry(engine, "e-now", day=today, seconds=1800, description="Hotfix", started_at=started)
    for n in range(3):
        put_entry(engine, f"g-{n}", customer=GLOBEX, day=today, seconds=7200, started_at=started)
    service.apply_entries(["e-now", "e-last-1", "e-old", "e-last-0", "g-0", "g-1", "g-2"])
    return Story(budgets_site.url, f"{last:%Y-%m}", worked)


def test_a_past_month_statement_lists_exactly_the_work_of_that_month(signed_in: Page, story: Story) -> None:
    page = signed_in
    page.goto(f"{story.base_url}/budgets/b1/statements/{story.last_month}")
    rows = page.locator("table.statement-lines tr.line")
    expect(rows).to_have_count(2)
    texts = [rows.nth(i).locator("td.description").inner_text() for i in range(2)]
    days = [rows.nth(i).locator("td.day").inner_text() for i in range(2)]
    expected = sorted(story.worked_last_month.items(), key=lambda item: item[1])
    assert [t.split("\n")[0] for t in texts] == [text for text, _ in expected]
    assert [d[:10] for d in days] == [day.isoformat() for _, day in expected]


def test_the_chart_ends_at_the_settled_balance_in_date_order(signed_in: Page, story: Story) -> None:
    page = signed_in
    page.goto(f"{story.base_url}/budgets/b1")
    settled = Decimal(page.locator("#settled").get_attribute("data-value") or "")
    points = page.locator("svg.burn circle.point")
    count = points.count()
    assert count >= 4
    days = [points.nth(i).get_attribute("data-day") or "" for i in range(count)]
    xs = [float(points.nth(i).get_attribute("cx") or "") for i in range(count)]
    assert days == sorted(days) and xs == sorted(xs)
    assert Decimal(points.nth(count - 1).get_attribute("data-value") or "") == settled
    values = [Decimal(points.nth(i).get_attribute("data-value") or "") for i in range(1, count)]
    assert values == sorted(values, reverse=True), "only time was subtracted after the opening credit"


def test_the_overview_gives_the_budget_page_forecast_and_puts_the_negative_first(
    signed_in: Page, story: Story
) -> None:
    page = signed_in
    page.goto(f"{story.base_url}/budgets/b1")
    on_page = page.locator("#threshold-date").inner_text()
    assert on_page not in ("", "—")
    page.goto(f"{story.base_url}/")
    rows = page.locator("table.overview tbody tr")
    expect(rows.first).to_have_attribute("data-budget", "b2")
    expect(rows.first).to_have_class("negative")
    expect(rows.first.locator("td.attention")).to_have_text("Negative once pending time is subtracted")
    forecast = page.locator('tr[data-budget="b1"] td[data-forecast]')
    assert forecast.inner_text().split("\n")[0] == on_page
    counts = page.locator("#overview-counts")
    expect(counts.locator('[data-concern="negative"]')).to_have_attribute("data-count", "1")
    highlighted = page.locator("table.overview tbody tr.negative")
    expect(highlighted).to_have_count(1)
