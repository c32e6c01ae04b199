"""The budget page of a renewing hours budget in headless Chromium: the period bar and both figures.

Served by the real web adapter over a SQLite database, so the figures come from the ledger: a
20-hour monthly bundle at EUR 80/h, its first period opened by the period close, two hours worked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from playwright.sync_api import Page, expect
from sqlalchemy import insert

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
from connector.bootstrap import Container
from connector.budgets import BudgetsService
from connector.budgets.periods import PeriodCloser
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.settings import Settings
from connector.storage import create_db_engine
from connector.storage.tables.sync import time_entry
from connector.web.app import create_app
from connector.web.security import hash_password

pytestmark = pytest.mark.browser
BRUSSELS = ZoneInfo("Europe/Brussels")
PASSWORD = "browser-test-password"


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
def served(tmp_path: Path, sqlite_url: str) -> Iterator[Served]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=sqlite_url,
        secret_key="browser-secret-key-0123456789abcdef012345",
        admin_user="anna",
        admin_password_hash=hash_password(PASSWORD),
    )
    container = Container(settings, create_db_engine(settings.resolved_database_url))
    today = datetime.now(UTC).astimezone(BRUSSELS).date()
    service = BudgetsService(container.engine)
    service.create(_budget(today), actor="test")
    PeriodCloser(container.engine).close_due()
    month_start = datetime.combine(today.replace(day=1), datetime.min.time(), BRUSSELS).astimezone(UTC)
    started = max(datetime.now(UTC) - timedelta(minutes=5), month_start)
    with container.engine.begin() as conn:
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
    adapter = BudgetsWebAdapter(service)
    config = uvicorn.Config(
        create_app(container, read_model=adapter, actions=adapter),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        ws="none",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    first_of_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    yield Served(f"http://127.0.0.1:{port}", (first_of_next - today).days, f"{today:%Y-%m}")
    server.should_exit = True
    thread.join(timeout=10)
    container.close()


def test_budget_page_shows_the_period_bar_and_both_figures(page: Page, served: Served) -> None:
    page.goto(f"{served.base_url}/login")
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{served.base_url}/budgets/hours-1")

    expect(page.locator("#settled")).to_have_text("18.00 h")
    expect(page.locator("#other-figure")).to_have_text("EUR 1,440.00 at the hour price")
    period = page.locator("#period")
    expect(period).to_contain_text(f"Period {served.label}")
    expect(period).to_contain_text(f"10% used · {served.days_left} day")
    expect(period).to_contain_text("Closed today: 18.00 h rolls over")
    bar = period.locator(".period-bar > span")
    expect(bar).to_have_attribute("style", "width: 10%")
