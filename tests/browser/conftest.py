"""The browser tests' stack: the web app served by uvicorn on a real socket, and headless Chromium.

`web_stack` is the real stack (the demo's: sandbox, OAuth, sync, budgets service, and the app of
`prepaid serve`); the tests read every figure from the page, none from the fixture. `budgets_site` is
the dashboard over the real budgets service on an empty SQLite database, which each test fills through
the service, and `signed_in` a tab already logged in to it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from support.web_server import BackgroundServer, BudgetsSite, unused_port

from connector.bootstrap import Container
from connector.budgets import BudgetsService
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.demo import DEMO_PASSWORD, DEMO_USER, prepare, run_story
from connector.runtime import Runtime
from connector.settings import Settings
from connector.storage import create_db_engine
from connector.web.app import create_app
from connector.web.security import hash_password

_FIXTURES = "budgets_fixtures"
if _FIXTURES not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _FIXTURES, Path(__file__).resolve().parents[1] / "integration" / "budgets" / f"{_FIXTURES}.py"
    )
    assert _spec is not None and _spec.loader is not None
    sys.modules[_FIXTURES] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_FIXTURES])

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADMIN_USER = "anna"
ADMIN_PASSWORD = "browser-test-password"
DEMO_BUDGET = "ines-lambert-prepaid"


@dataclass(frozen=True)
class WebStack:
    """Where the app runs, who may log in, and which budget and statement period to exercise."""

    base_url: str
    username: str
    password: str
    budget_id: str
    period: str


@pytest.fixture
def web_stack(tmp_path: Path) -> Iterator[WebStack]:
    """The real stack, as `make demo` builds it: sandbox, OAuth, full sync, the example budgets,
    and the app of `prepaid serve` (workers and scheduler included) on a real socket. It runs on the
    process clock; the statement period is the current one in the budget's time zone."""
    base = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        secret_key="browser-secret-key-0123456789abcdef012345",
        port=unused_port(),
    )
    sandbox, container = prepare(base)
    try:
        run_story(sandbox, container, lambda _: None)
        server = BackgroundServer(Runtime(container).app, port=container.settings.port, lifespan="on")
        base_url = server.start()
        budget = container.budgets().budget(DEMO_BUDGET)
        period = f"{container.clock.now().astimezone(budget.zone):%Y-%m}"
        yield WebStack(base_url, DEMO_USER, DEMO_PASSWORD, budget_id=DEMO_BUDGET, period=period)
        server.stop()
    finally:
        container.close()
        sandbox.stop()


@pytest.fixture
def budgets_site(tmp_path: Path, sqlite_url: str) -> Iterator[BudgetsSite]:
    """The app of `prepaid serve` over the real budgets service on SQLite, without workers: what a
    test writes through the service is what the next page load shows. It runs on the process clock
    (so `make test-dates` moves it); tests take "now" from `budgets_site.clock`."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=sqlite_url,
        secret_key="browser-secret-key-0123456789abcdef012345",
        admin_user=ADMIN_USER,
        admin_password_hash=hash_password(ADMIN_PASSWORD),
    )
    container = Container(settings, create_db_engine(settings.resolved_database_url))
    adapter = BudgetsWebAdapter(BudgetsService(container.engine, clock=container.clock.now))
    server = BackgroundServer(create_app(container, read_model=adapter, actions=adapter))
    yield BudgetsSite(server.start(), container.engine, container.clock)
    server.stop()
    container.close()


def _real_clock_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module: Playwright's sync API keeps an event loop running in the
    main thread while it is open, which must not outlive the browser tests (asyncio tests follow).

    Chromium runs on the machine's real clock even under `make test-dates`: libfaketime stalls its
    compositor (screenshots time out), and the browser is the user's machine, whose clock is not the
    server's (the pages read no time in the browser)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=_real_clock_env()
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context; a screenshot named after the test is saved when it ends."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def signed_in(page: Page, budgets_site: BudgetsSite) -> Page:
    """`page`, logged in to `budgets_site` as its admin."""
    page.goto(f"{budgets_site.url}/login")
    page.fill("input[name=username]", ADMIN_USER)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    return page
