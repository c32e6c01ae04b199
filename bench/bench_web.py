"""Benchmark of the dashboard overview: server time to render 1,000 budgets (target: under 300 ms).

The app runs in-process (the same ASGI stack as `prepaid serve`: metrics, session, access gate,
routing, template), over the in-memory read model (the web layer's own cost), or with
`--database-url` over the real budgets service and a filled database (the whole server time);
no socket or browser time is counted. A logged-in session is used.
Run: `.venv/bin/python bench/bench_web.py [--budgets 1000] [--requests 30] [--database-url URL]`.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from starlette.exceptions import StarletteDeprecationWarning

from connector.bootstrap import Container
from connector.budgets import BudgetsService
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.clock import SYSTEM_CLOCK
from connector.settings import Settings
from connector.storage import create_db_engine, upgrade
from connector.web.app import create_app
from connector.web.memory import sample_dashboard
from connector.web.security import hash_password

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument(
        "--database-url",
        default=None,
        help="Serve the real budgets service over this database (e.g. the one bench_ledger.py --url "
        "filled) instead of the in-memory read model.",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=Path(folder),
            secret_key="bench-secret-key-0123456789abcdef0123456789",
            admin_user="bench",
            admin_password_hash=hash_password("bench-password"),
        )
        engine = create_db_engine(args.database_url or settings.resolved_database_url)
        upgrade(engine)
        if args.database_url:
            adapter = BudgetsWebAdapter(BudgetsService(engine))
            args.budgets = len(adapter.overview())
            app = create_app(Container(settings, engine), read_model=adapter, actions=adapter)
        else:
            dashboard = sample_dashboard(budgets=args.budgets, entries=4, today=SYSTEM_CLOCK.now().date())
            app = create_app(Container(settings, engine), read_model=dashboard, actions=dashboard)
        with TestClient(app) as client:
            login = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', login)
            assert token
            client.post(
                "/login", data={"username": "bench", "password": "bench-password", "csrf_token": token[1]}
            )
            first = client.get("/")
            assert first.status_code == 200 and first.text.count("data-budget=") == args.budgets
            timings = []
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get("/?sort=balance&order=asc")
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        engine.dispose()
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    source = "the budgets service" if args.database_url else "the in-memory read model"
    print(
        f"overview with {args.budgets} budgets over {source}: median {statistics.median(timings):.1f} ms, "
        f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms over {args.requests} requests "
        f"({len(first.content) / 1024:.0f} KiB of HTML; target < 300 ms)"
    )


if __name__ == "__main__":
    main()
