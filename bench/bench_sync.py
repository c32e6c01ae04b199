"""Benchmark of a full sync: rows per second, API calls against the minimum, peak memory.

The sandbox runs in its own process (seeded with `--entries` time entries), the sync in this one
on a fresh SQLite file, so neither steals the other's interpreter. With `--rate-limit 200` the
sandbox enforces Teamleader's real limit and the client paces itself under it. With `--budgets`
every company gets an auto budget first, so the figure includes applying the rules to every
synced entry, as a first full sync of an agency with budgets does. With `--task-share 0.02`, 2 %
of the entries are tracked on tasks, whose customers the sync looks up: the figure then says how
many task calls that cost against the budget of issue 16 (minimum list calls + 10 +
ceil(distinct tasks / 100)).
`--tasks-503` makes the tasks answer 503 throughout: the sync must still end, within its lookup
deadline (PREPAID_CUSTOMER_LOOKUP_SECONDS), with those entries unresolved.
Run: `.venv/bin/python bench/bench_sync.py [--entries 100000] [--rate-limit 0] [--budgets]
[--task-share 0] [--tasks-503]`.
"""

from __future__ import annotations

import argparse
import math
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from connector.billing import (
    Budget,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    Money,
    SubtractionMode,
    SubtractionRule,
    ValuationSettings,
)
from connector.bootstrap import Container, bootstrap
from connector.settings import Settings
from connector.storage.token_store import TokenStore
from connector.teamleader import TeamleaderOAuth


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_sandbox(entries: int, rate_limit: int, task_share: float) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connector.sandbox",
            "--port",
            str(port),
            "--entries",
            str(entries),
            "--companies",
            "500",
            "--contacts",
            "800",
            "--months",
            "24",
            "--anchor",
            "2026-11-20",
            "--rate-limit",
            str(rate_limit),
            "--task-share",
            str(task_share),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/_sandbox/health", timeout=1).raise_for_status()
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the sandbox did not start")


def _budget_every_company(container: Container, companies: list[dict[str, Any]]) -> None:
    service = container.budgets()
    for n, company in enumerate(companies):
        service.create(
            Budget(
                id=f"bench-{n}",
                customer=CustomerRef(CustomerType.COMPANY, company["id"]),
                name=f"Prepaid {company.get('name', n)}",
                unit=BudgetUnit.money("EUR"),
                start=date(2024, 1, 1),
                valuation=ValuationSettings(default_rate=Money(Decimal("90"), "EUR")),
                mode=SubtractionMode.AUTO,
                rules=(SubtractionRule("billable", invoiceable=True),),
                threshold=Decimal("500"),
                opening_balance=Decimal("100000"),
            ),
            actor="bench",
        )


def _distinct_tasks(url: str) -> int:
    """Tasks that time was tracked on (each needs its customer looked up once)."""
    state = httpx.get(f"{url}/_sandbox/state?entries=1", timeout=120).json()
    return len(
        {e["subject"]["id"] for e in state["time_entries"] if (e["subject"] or {}).get("type") == "todo"}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rate-limit", type=int, default=0, help="sandbox limit per minute; 0 = off")
    parser.add_argument("--budgets", action="store_true", help="an auto budget for every company first")
    parser.add_argument("--task-share", type=float, default=0.0, help="share of the entries on tasks")
    parser.add_argument("--tasks-503", action="store_true", help="tasks.* answer 503 during the sync")
    args = parser.parse_args()
    process, url = _start_sandbox(args.entries, args.rate_limit, args.task_share)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                data_dir=Path(tmp),
                secret_key="bench-secret-key-0123456789abcdef0123456789",
                teamleader_api_url=url,
                teamleader_auth_url=url,
                teamleader_client_id="sandbox-client",
                teamleader_client_secret="sandbox-secret",
                sync_since=date(2024, 1, 1),
                rate_limit_per_minute=args.rate_limit or 1_000_000,
            )
            container = bootstrap(settings, configure_logs=False)
            oauth = TeamleaderOAuth(settings, clock=container.clock)
            location = httpx.get(oauth.authorization_url("bench"), follow_redirects=False).headers["location"]
            code = parse_qs(urlparse(location).query)["code"][0]
            TokenStore.from_settings(settings, container.engine).save_authorized(
                oauth.exchange_code(code), now=container.clock.now()
            )
            state = httpx.get(f"{url}/_sandbox/state?entries=0", timeout=60).json()
            if args.budgets:
                _budget_every_company(container, state["companies"])
            httpx.delete(f"{url}/_sandbox/requests")
            if args.tasks_503:
                fault = {"endpoint": "tasks.*", "kind": "status", "status": 503}
                httpx.post(f"{url}/_sandbox/faults", json=fault).raise_for_status()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            report = container.sync_engine().full()
            seconds = time.perf_counter() - started
            rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            counts = httpx.get(f"{url}/_sandbox/requests").json()["counts"]
            tasks = _distinct_tasks(url) if args.task_share else 0
            container.close()
    finally:
        process.terminate()
        process.wait(10)
    rows = sum(r.fetched for r in report.resources)
    sizes = [
        len(state["users"]),
        len(state["work_types"]),
        1,
        len(state["tax_rates"]),
        len(state["companies"]),
        len(state["contacts"]),
        state["entry_count"],
    ]
    minimum = sum(max(1, math.ceil(n / 100)) for n in sizes)
    calls = sum(
        n for endpoint, n in counts.items() if "oauth2" not in endpoint and endpoint != "rate_limited"
    )
    limit = f"{args.rate_limit}/min" if args.rate_limit else "off"
    if args.task_share:
        task_calls = sum(n for endpoint, n in counts.items() if endpoint.startswith("tasks."))
        allowed = minimum + 10 + math.ceil(tasks / 100)
        print(
            f"{args.task_share * 100:g} % on tasks: {tasks} distinct tasks cost {task_calls} task calls"
            f"{' answering 503' if args.tasks_503 else ''} "
            f"({report.unresolved_entries} entries left unresolved); API calls {calls} against the "
            f"budget {allowed} = minimum {minimum} + 10 + ceil({tasks} / 100): "
            f"{'within' if calls <= allowed else 'OVER'} budget"
        )
    budgets = f", {len(state['companies'])} auto budgets" if args.budgets else ""
    print(
        f"full sync, {state['entry_count']:,} time entries{budgets}, rate limit {limit}: {rows:,} rows in "
        f"{seconds:.1f} s = {rows / seconds:,.0f} rows/s; API calls {calls} (minimum {minimum}, "
        f"429s {counts.get('rate_limited', 0)}); peak RSS {rss_peak / 1024:.0f} MiB "
        f"(+{(rss_peak - rss_before) / 1024:.0f} MiB during the sync)"
    )


if __name__ == "__main__":
    main()
