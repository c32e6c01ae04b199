"""The browser tests' stack: the web app served by uvicorn on a real socket, and headless Chromium.

`web_stack` is the real stack (the demo's: sandbox, OAuth, sync, budgets service, and the app of
`prepaid serve`); the tests read every figure from the page, none from the fixture.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from connector.demo import DEMO_PASSWORD, DEMO_USER, prepare, run_story
from connector.runtime import Runtime
from connector.settings import Settings

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


@dataclass(frozen=True)
class WebStack:
    """Where the app runs, who may log in, and which budget and statement period to exercise."""

    base_url: str
    username: str
    password: str
    budget_id: str
    period: str


class BackgroundServer:
    """uvicorn in a thread on port 0; `start()` returns once the socket listens."""

    def __init__(self, app: object, *, port: int = 0, lifespan: str = "off") -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan=lifespan
        )  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, timeout: float = 10.0) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start listening")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def web_stack(tmp_path: Path) -> Iterator[WebStack]:
    """The real stack, as `make demo` builds it: sandbox, OAuth, full sync, the example budgets,
    and the app of `prepaid serve` (workers and scheduler included) on a real socket."""
    base = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        secret_key="browser-secret-key-0123456789abcdef012345",
    )
    sandbox, container = prepare(base)
    try:
        run_story(sandbox, container, lambda _: None)
        server = BackgroundServer(Runtime(container).app, port=container.settings.port, lifespan="on")
        base_url = server.start()
        yield WebStack(base_url, DEMO_USER, DEMO_PASSWORD, budget_id="ines-lambert-prepaid", period="2026-11")
        server.stop()
    finally:
        container.close()
        sandbox.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module: Playwright's sync API keeps an event loop running in the
    main thread while it is open, which must not outlive the browser tests (asyncio tests follow)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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
