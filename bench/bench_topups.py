"""Benchmark of top-ups against a slow Teamleader: how many crossings are credited while half the
invoice calls hang or fail, and how soon the rest follow once the faults end.

The sandbox runs in its own process with Teamleader's real rate limit (200 a minute); `--count`
budgets (default 100) cross their threshold through the budgets service at once, and the top-up
worker runs in the loop `prepaid serve` runs it in, with the product's settings. For
`--fault-seconds` (default 420, the measured window of issue 16) each `invoices.draft` and
`invoices.book` hangs for `--latency` seconds (default 35, longer than any read timeout; the write
is applied when the hang ends) with probability 0.35, or is applied and answered 500 with
probability 0.23: half of them time out or fail after applying (`--timeouts-only`: half of them
hang, none answers 500). Then the faults end. Printed:
crossings credited while the faults lasted, the median and longest crossing-to-credit time, how
long after the faults ended the last crossing was credited, invoices and credits (one each).
`--before` runs with the settings of the one-at-a-time worker that issue 16 measured
(concurrency 1, a 30 s timeout for invoice calls, 5 tries, back-off from 30 s up to an hour).
Run: `.venv/bin/python bench/bench_topups.py [--before] [--timeouts-only] [--count 100] [--fault-seconds 420]`.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from sqlalchemy import func, select

from connector.billing import Budget, BudgetUnit, CustomerRef, CustomerType, ReplenishMode, ReplenishSettings
from connector.bootstrap import Container, bootstrap
from connector.settings import Settings
from connector.storage.tables.budgets import ledger_line
from connector.storage.tables.invoicing import topup
from connector.storage.token_store import TokenStore
from connector.teamleader import TeamleaderOAuth
from connector.workers import LoopWorker

BEFORE = {
    "topup_concurrency": 1,
    "topup_call_timeout_seconds": 30.0,
    "topup_max_attempts": 5,
    "topup_retry_seconds": 30.0,
    "topup_retry_max_seconds": 3600.0,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_sandbox(companies: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [sys.executable, "-m", "connector.sandbox", "--port", str(port), "--entries", "10"]
    command += ["--companies", str(companies), "--contacts", "5", "--rate-limit", "200"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def _connect(url: str, data: Path, before: bool) -> Container:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data,
        secret_key="bench-secret-key-0123456789abcdef0123456789",
        teamleader_api_url=url,
        teamleader_auth_url=url,
        teamleader_client_id="sandbox-client",
        teamleader_client_secret="sandbox-secret",
        **(BEFORE if before else {}),
    )
    container = bootstrap(settings, configure_logs=False)
    oauth = TeamleaderOAuth(settings, clock=container.clock)
    location = httpx.get(oauth.authorization_url("bench"), follow_redirects=False).headers["location"]
    code = parse_qs(urlparse(location).query)["code"][0]
    TokenStore.from_settings(settings, container.engine).save_authorized(
        oauth.exchange_code(code), now=container.clock.now()
    )
    return container


def _budgets(container: Container, state: dict[str, Any], count: int) -> list[Budget]:
    rate = sorted(state["tax_rates"], key=lambda r: r["id"])[0]
    service = container.budgets()
    made = []
    for n, company in enumerate(sorted(state["companies"], key=lambda c: c["id"])[:count]):
        made.append(
            service.create(
                Budget(
                    id=f"bench-{n}",
                    customer=CustomerRef(CustomerType.COMPANY, company["id"]),
                    name=f"Prepaid {n}",
                    unit=BudgetUnit.money("EUR"),
                    start=date(2026, 1, 1),
                    threshold=Decimal(500),
                    opening_balance=Decimal(1000),
                    replenish=ReplenishSettings(
                        mode=ReplenishMode.AUTO,
                        fixed_amount=Decimal(2000),
                        department_id=rate["department_id"],
                        tax_rate_id=rate["id"],
                    ),
                ),
                actor="bench",
            )
        )
    return made


def _credited(container: Container) -> dict[str, float]:
    """Seconds from crossing (the top-up's planning) to credit, per credited top-up."""
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(topup.c.id, topup.c.created_at, topup.c.credited_at).where(
                topup.c.credited_at.is_not(None)
            )
        ).all()
    return {row[0]: (row[2] - row[1]).total_seconds() for row in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--fault-seconds", type=float, default=420.0)
    parser.add_argument("--latency", type=float, default=35.0)
    parser.add_argument("--give-up-seconds", type=float, default=900.0, help="stop waiting after this")
    parser.add_argument("--before", action="store_true", help="the one-at-a-time worker's settings")
    parser.add_argument("--timeouts-only", action="store_true", help="half the calls hang; none answers 500")
    args = parser.parse_args()
    process, url = _start_sandbox(args.count)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            container = _connect(url, Path(tmp), args.before)
            state = httpx.get(f"{url}/_sandbox/state?entries=0", timeout=60).json()
            budgets = _budgets(container, state, args.count)
            hang = {
                "kind": "latency",
                "latency": args.latency,
                "probability": 0.5 if args.timeouts_only else 0.35,
            }
            faults = [
                {"endpoint": endpoint, **rule}
                for endpoint in ("invoices.draft", "invoices.book")
                for rule in [hang]
                + ([] if args.timeouts_only else [{"kind": "applied_500", "probability": 0.23}])
            ]
            httpx.post(f"{url}/_sandbox/faults", json={"rules": faults, "seed": 16}, timeout=5)
            worker = container.topup_worker("bench")
            loop = LoopWorker("topups", worker.run_once, container.settings.worker_interval_seconds)
            loop.start()
            started = time.monotonic()
            service = container.budgets()
            for b in budgets:
                service.update(replace(b, opening_balance=Decimal(0)), actor="bench")
                loop.poke()
            crossed = time.monotonic() - started
            while time.monotonic() - started < args.fault_seconds:
                time.sleep(1)
            during = _credited(container)
            fired = httpx.get(f"{url}/_sandbox/faults", timeout=5).json()["rules"]
            httpx.delete(f"{url}/_sandbox/faults", timeout=5)
            ended = time.monotonic()
            done = during
            while len(done) < args.count and time.monotonic() - ended < args.give_up_seconds:
                time.sleep(1)
                done = _credited(container)
            after = time.monotonic() - ended
            loop.stop(timeout=120)
            with container.engine.connect() as conn:
                invoices = int(
                    conn.execute(
                        select(func.count()).select_from(topup).where(topup.c.invoice_id.is_not(None))
                    ).scalar_one()
                )
                statuses = dict(
                    conn.execute(select(topup.c.status, func.count()).group_by(topup.c.status)).all()
                )
                credits = int(
                    conn.execute(
                        select(func.count())
                        .select_from(ledger_line)
                        .where(ledger_line.c.kind == "topup_credit")
                    ).scalar_one()
                )
            marked = [
                i
                for i in httpx.get(f"{url}/_sandbox/state?entries=0", timeout=60).json().get("invoices", [])
                if str(i.get("purchase_order_number") or "").startswith("PP-")
            ]
            container.close()
    finally:
        process.kill()
    label = "before (one at a time)" if args.before else "after (settings' defaults)"
    waits = sorted(done.values())
    print(f"{label}: {args.count} crossings in {crossed:.1f} s; faults for {args.fault_seconds:.0f} s")
    fired_text = ", ".join(f"{r['endpoint']} {r['kind']} {r['fired']}" for r in fired)
    print(f"  fault rules fired: {fired_text}")
    print(f"  credited while the faults lasted: {len(during)} of {args.count}")
    if waits:
        print(f"  crossing to credit: median {statistics.median(waits):.0f} s, longest {waits[-1]:.0f} s")
    if len(done) == args.count:
        print(f"  all {args.count} credited {after:.0f} s after the faults ended")
    else:
        print(f"  {len(done)} of {args.count} credited {after:.0f} s after the faults ended (gave up)")
    print(f"  top-ups by state: {statuses}; invoices recorded {invoices}; credits {credits}")
    distinct = len({i["purchase_order_number"] for i in marked})
    print(f"  invoices in Teamleader with a top-up marker: {len(marked)}, distinct markers: {distinct}")


if __name__ == "__main__":
    main()
