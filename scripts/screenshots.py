"""Screenshots of every dashboard page, wide (1366x900) and narrow (390x844), into docs/screenshots.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

It runs what `make demo` runs (the sandbox, OAuth, a full sync, the example budgets, the top-up
worker) on a fresh demo database in a temporary folder, serves the app of `prepaid serve` on a free
port, and drives headless Chromium (/usr/bin/chromium, through Playwright) over every page: login,
overview, each budget, top-ups, statements, a statement, the customer's signed link, and the error
pages of the dashboard and of a customer. docs/dashboard.png (the README's picture) is the wide
overview.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright

from connector.clock import SYSTEM_CLOCK
from connector.demo import DEMO_PASSWORD, DEMO_USER, prepare, run_story
from connector.runtime import Runtime
from connector.settings import Settings

CHROMIUM = "/usr/bin/chromium"
SIZES = {"wide": (1366, 900), "narrow": (390, 844)}
ROOT = Path(__file__).resolve().parents[1]
BUDGETS = ("ironflorist-support-2026", "sunnyyoga-hours", "northdental-retainer", "ines-lambert-prepaid")


@contextmanager
def demo_site(folder: Path) -> Iterator[str]:
    """The demo's data, served by the app of `prepaid serve`; yields its base URL."""
    base = Settings(_env_file=None, data_dir=folder / "data", secret_key="screenshots-" + "0" * 32)  # type: ignore[call-arg]
    sandbox, container = prepare(base)
    try:
        run_story(sandbox, container, print)
        app = Runtime(container).app
        config = uvicorn.Config(app, host="127.0.0.1", port=container.settings.port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started = threading.Event()
        while not server.started and thread.is_alive():
            started.wait(0.05)
        try:
            yield f"http://127.0.0.1:{container.settings.port}"
        finally:
            server.should_exit = True
            thread.join(timeout=15)
    finally:
        container.close()
        sandbox.stop()


def _shoot(page: Page, url: str, path: Path) -> None:
    """The page from its top, at most three screens tall (a budget lists hundreds of entries)."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    viewport = page.viewport_size or {"width": 1366, "height": 900}
    tall = int(page.evaluate("document.documentElement.scrollHeight"))
    height = min(tall, 3 * viewport["height"])
    page.screenshot(
        path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": viewport["width"], "height": height}
    )
    print(f"{path.relative_to(ROOT)}  {url}")


def _customer_link(page: Page, base: str, budget: str, period: str) -> str:
    page.goto(f"{base}/budgets/{budget}/statements/{period}")
    page.get_by_role("button", name="Create a link for the customer").click()
    return page.locator("#customer-link").input_value()


def take(base: str, out: Path, period: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for size, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            _shoot(page, f"{base}/login", out / f"login-{size}.png")
            page.fill("input[name=username]", DEMO_USER)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            _shoot(page, f"{base}/", out / f"overview-{size}.png")
            for budget in BUDGETS:
                _shoot(page, f"{base}/budgets/{budget}", out / f"budget-{budget}-{size}.png")
            for budget in (BUDGETS[0], BUDGETS[2]):
                page.goto(f"{base}/budgets/{budget}")
                page.evaluate("document.querySelector('table.ledger').closest('section').scrollIntoView()")
                page.screenshot(path=str(out / f"budget-ledger-{budget}-{size}.png"))
            page.goto(f"{base}/budgets/{BUDGETS[0]}")
            page.get_by_role("button", name="Subtract selected").click()
            page.locator("[data-hint]").scroll_into_view_if_needed()
            page.screenshot(path=str(out / f"budget-nothing-ticked-{size}.png"))
            _shoot(page, f"{base}/topups", out / f"topups-{size}.png")
            _shoot(page, f"{base}/statements", out / f"statements-{size}.png")
            _shoot(page, f"{base}/budgets/{BUDGETS[0]}/statements/{period}", out / f"statement-{size}.png")
            _shoot(
                page, f"{base}/budgets/{BUDGETS[1]}/statements/{period}", out / f"statement-hours-{size}.png"
            )
            _shoot(page, f"{base}/budgets/no-such-budget", out / f"error-{size}.png")
            link = _customer_link(page, base, BUDGETS[0], period)
            context.close()
            customer = browser.new_context(viewport={"width": width, "height": height}).new_page()
            _shoot(customer, link, out / f"customer-statement-{size}.png")
            _shoot(customer, link[:-4] + "xxxx", out / f"customer-error-{size}.png")
            customer.context.close()
        browser.close()
    shutil.copyfile(out / "overview-wide.png", ROOT / "docs" / "dashboard.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--period", default=None, help="statement period (default: the current month)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, demo_site(Path(folder)) as base:
        period = args.period or f"{SYSTEM_CLOCK.now():%Y-%m}"
        take(base, args.out.resolve(), period)


if __name__ == "__main__":
    main()
