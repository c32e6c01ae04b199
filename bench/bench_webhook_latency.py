"""Benchmark: webhook change -> copy latency while `prepaid serve` runs its scheduled syncs.

The sandbox runs in its own process, seeded with `--entries` time entries over six months and
enforcing Teamleader's real limit (`--rate-limit 200` a sliding minute). The copy is filled once
with the limit off (setup, not measured), then the limit is switched on and `prepaid serve` starts
as an operator runs it, with the webhook registered. For `--minutes`, this process makes changes
through the sandbox's control API (which fires webhooks): edits, adds and deletes of time entries,
one every `--interval` seconds and a burst of `--burst` changes at every 5-minute mark, just after
the windowed sync fires. Each change's latency runs from just before its control request to the
moment its effect is visible in the copy's database (polled every 50 ms).

`--schedules busy` (the default) puts more bulk load on the minute than the product's defaults
do: the full-window sync every 10 minutes and a full sync every 20 minutes, besides the
windowed sync every 5 minutes and the start-up catch-up runs. `--schedules default` keeps
the product's schedules; `--serve-env PREPAID_X=VALUE` sets more (e.g. the reserve to 0 and the
recent window to 60 days, to see the design before the priorities). The calls of each scheduled sync are read from serve's log
(`sync.finished`), the total and the 429s from the sandbox's request counts.
Run: `nice .venv/bin/python bench/bench_webhook_latency.py [--minutes 15] [--entries 50000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
from sqlalchemy import Engine, select

from connector.bootstrap import bootstrap
from connector.settings import Settings
from connector.storage.tables.sync import time_entry
from connector.storage.token_store import TokenStore
from connector.sync.subscription import event_types, webhook_url
from connector.teamleader import TeamleaderOAuth

BUSY_SCHEDULES = {
    "PREPAID_SCHEDULE_FULL_WINDOW_SYNC": "3-59/10 * * * *",
    "PREPAID_SCHEDULE_FULL_SYNC": "8,28,48 * * * *",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start")


def _start_sandbox(entries: int, rate_limit: int) -> tuple[subprocess.Popen[bytes], str]:
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
            "230",
            "--contacts",
            "340",
            "--months",
            "6",
            "--anchor",
            datetime.now(UTC).date().isoformat(),
            "--rate-limit",
            str(rate_limit),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_for(f"{url}/_sandbox/health", 60, "the sandbox")
    return process, url


@dataclass
class Change:
    """One change made through the control API, and what the copy must show for it."""

    kind: str
    entry_id: str
    sent: float
    description: str | None = None
    seen: float | None = None


@dataclass
class Tracker:
    """Polls the copy for the changes not yet visible there."""

    engine: Engine
    pending: dict[str, Change] = field(default_factory=dict)
    done: list[Change] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def add(self, change: Change) -> None:
        with self.lock:
            self.pending[change.entry_id] = change

    def run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                waiting = dict(self.pending)
            if waiting:
                with self.engine.connect() as conn:
                    rows = conn.execute(
                        select(time_entry.c.id, time_entry.c.description, time_entry.c.deleted_at).where(
                            time_entry.c.id.in_(list(waiting))
                        )
                    ).all()
                now = time.perf_counter()
                for row in rows:
                    change = waiting[row.id]
                    visible = (
                        (change.kind == "add" and row.deleted_at is None)
                        or (change.kind == "edit" and row.description == change.description)
                        or (change.kind == "delete" and row.deleted_at is not None)
                    )
                    if visible:
                        change.seen = now
                        with self.lock:
                            self.pending.pop(row.id, None)
                            self.done.append(change)
            time.sleep(0.05)


class Changer:
    """Makes edits, adds and deletes of time entries through the sandbox's control API."""

    def __init__(self, url: str, engine: Engine, tracker: Tracker, seed: int) -> None:
        self._http = httpx.Client(base_url=f"{url}/_sandbox", timeout=30)
        self._tracker = tracker
        self._rng = random.Random(seed)
        with engine.connect() as conn:
            self._alive = [
                r.id for r in conn.execute(select(time_entry.c.id).where(time_entry.c.deleted_at.is_(None)))
            ]
        self._serial = 0
        self._user_id = str(self._http.get("/state", params={"entries": "0"}).json()["users"][0]["id"])

    def one(self) -> None:
        self._serial += 1
        kind = ("edit", "add", "delete")[self._serial % 3]
        sent = time.perf_counter()
        if kind == "add":
            start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=self._rng.randint(1, 48))
            answer = self._http.post(
                "/time-entries",
                json={"user_id": self._user_id, "started_at": start.isoformat(), "duration": 1800},
            )
            answer.raise_for_status()
            entry_id = str(answer.json()["data"]["id"])
            self._alive.append(entry_id)
            self._tracker.add(Change("add", entry_id, sent))
            return
        entry_id = self._alive.pop(self._rng.randrange(len(self._alive)))
        while entry_id in self._tracker.pending:
            self._alive.append(entry_id)
            entry_id = self._alive.pop(self._rng.randrange(len(self._alive)))
        if kind == "edit":
            description = f"bench edit {self._serial}"
            self._tracker.add(Change("edit", entry_id, sent, description=description))
            self._http.post(f"/time-entries/{entry_id}", json={"description": description}).raise_for_status()
            self._alive.append(entry_id)
        else:
            self._tracker.add(Change("delete", entry_id, sent))
            self._http.delete(f"/time-entries/{entry_id}").raise_for_status()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _serve_env(settings: Settings, port: int, rate_limit: int, schedules: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    env.update(
        {
            "PREPAID_DATABASE_URL": settings.resolved_database_url,
            "PREPAID_DATA_DIR": str(settings.data_dir),
            "PREPAID_SECRET_KEY": settings.secret_key.get_secret_value() if settings.secret_key else "",
            "PREPAID_TEAMLEADER_API_URL": settings.teamleader_api_url,
            "PREPAID_TEAMLEADER_AUTH_URL": settings.teamleader_auth_url,
            "PREPAID_TEAMLEADER_CLIENT_ID": settings.teamleader_client_id or "",
            "PREPAID_TEAMLEADER_CLIENT_SECRET": "sandbox-secret",
            "PREPAID_SYNC_SINCE": str(settings.sync_since),
            "PREPAID_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "PREPAID_PORT": str(port),
            "PREPAID_LOG_FORMAT": "json",
            "PREPAID_RATE_LIMIT_PER_MINUTE": str(rate_limit),
            **schedules,
        }
    )
    return env


def _sync_costs(log: Path) -> dict[str, list[int]]:
    costs: dict[str, list[int]] = defaultdict(list)
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("event") == "sync.finished":
                costs[str(event.get("job"))].append(int(event.get("api_calls") or 0))
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--minutes", type=float, default=15.0, help="how long changes are made")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between two steady changes")
    parser.add_argument("--burst", type=int, default=30, help="changes made at once at every 5-minute mark")
    parser.add_argument("--rate-limit", type=int, default=200, help="the sandbox's limit per minute")
    parser.add_argument("--schedules", choices=("busy", "default"), default="busy")
    parser.add_argument(
        "--serve-env",
        action="append",
        default=[],
        metavar="PREPAID_X=VALUE",
        help="a setting for serve, e.g. PREPAID_RATE_LIMIT_RESERVE=0 to compare without the reserve",
    )
    args = parser.parse_args()
    schedules = dict(BUSY_SCHEDULES) if args.schedules == "busy" else {}
    schedules.update(item.split("=", 1) for item in args.serve_env)
    sandbox, url = _start_sandbox(args.entries, args.rate_limit)
    serve: subprocess.Popen[bytes] | None = None
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
                sync_since=datetime.now(UTC).date() - timedelta(days=200),
                rate_limit_per_minute=1_000_000,
            )
            container = bootstrap(settings, configure_logs=False)
            oauth = TeamleaderOAuth(settings, clock=container.clock)
            location = httpx.get(oauth.authorization_url("bench"), follow_redirects=False).headers["location"]
            code = parse_qs(urlparse(location).query)["code"][0]
            TokenStore.from_settings(settings, container.engine).save_authorized(
                oauth.exchange_code(code), now=container.clock.now()
            )
            httpx.post(f"{url}/_sandbox/settings", json={"rate_limit_enabled": False}).raise_for_status()
            setup = time.perf_counter()
            container.sync_engine().full()
            print(
                f"setup: first full sync with the limit off in {time.perf_counter() - setup:.0f} s",
                flush=True,
            )
            port = _free_port()
            container.teamleader().register_webhook(
                webhook_url(settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})),
                event_types(),
            )
            httpx.post(
                f"{url}/_sandbox/settings", json={"rate_limit_enabled": True, "rate_limit": args.rate_limit}
            ).raise_for_status()
            httpx.delete(f"{url}/_sandbox/requests").raise_for_status()
            log = Path(tmp) / "serve.log"
            with log.open("wb") as out:
                serve = subprocess.Popen(
                    [sys.executable, "-m", "connector", "serve"],
                    env=_serve_env(settings, port, args.rate_limit, schedules),
                    cwd=tmp,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            _wait_for(f"http://127.0.0.1:{port}/healthz", 60, "prepaid serve")
            tracker = Tracker(container.engine)
            poller = threading.Thread(target=tracker.run, daemon=True)
            poller.start()
            changer = Changer(url, container.engine, tracker, seed=16)
            began = time.monotonic()
            end = began + args.minutes * 60
            next_steady, last_mark = began, int(time.time() // 300)
            while time.monotonic() < end:
                mark = int(time.time() // 300)
                if mark != last_mark and time.time() % 300 >= 10:
                    last_mark = mark
                    for _ in range(args.burst):
                        changer.one()
                if time.monotonic() >= next_steady:
                    changer.one()
                    next_steady += args.interval
                time.sleep(0.05)
            drain = time.monotonic() + 120
            while tracker.pending and time.monotonic() < drain:
                time.sleep(0.2)
            tracker.stop.set()
            poller.join(5)
            counts = httpx.get(f"{url}/_sandbox/requests").json()["counts"]
            serve.send_signal(signal.SIGTERM)
            serve.wait(60)
            costs = _sync_costs(log)
            container.close()
    finally:
        if serve is not None and serve.poll() is None:
            serve.kill()
        sandbox.terminate()
        sandbox.wait(10)
    latencies = [c.seen - c.sent for c in tracker.done if c.seen is not None]
    by_kind: dict[str, list[float]] = defaultdict(list)
    for c in tracker.done:
        if c.seen is not None:
            by_kind[c.kind].append(c.seen - c.sent)
    missing = len(tracker.pending)
    calls = sum(
        n for endpoint, n in counts.items() if "oauth2" not in endpoint and endpoint != "rate_limited"
    )
    sync_calls = sum(sum(v) for v in costs.values())
    print(
        f"{args.minutes:g} min of serve over {args.entries:,} entries, limit {args.rate_limit}/min, schedules "
        f"{args.schedules} {' '.join(args.serve_env)}: {len(latencies) + missing} changes, "
        f"{missing} never seen in the copy"
    )
    if latencies:
        print(
            f"webhook -> copy: p50 {statistics.median(latencies):.2f} s, p95 {_percentile(latencies, 0.95):.2f} s, "
            f"max {max(latencies):.2f} s"
        )
    for kind, values in sorted(by_kind.items()):
        print(
            f"  {kind}: {len(values)} changes, p50 {statistics.median(values):.2f} s, "
            f"p95 {_percentile(values, 0.95):.2f} s, max {max(values):.2f} s"
        )
    print(
        f"API calls: {calls} in all, 429s {counts.get('rate_limited', 0)}; the webhook batches and the rest {calls - sync_calls}"
    )
    for job, values in sorted(costs.items()):
        print(f"  {job}: {len(values)} runs, calls per run {values}")


if __name__ == "__main__":
    main()
