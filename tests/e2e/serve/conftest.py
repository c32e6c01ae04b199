"""Running `prepaid serve` as a real process against a sandbox, as an operator would."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from support.waiting import wait_until

from connector.bootstrap import Container
from connector.sandbox.server import SandboxServer
from connector.storage.tables.invoicing import OPEN_TOPUP_STATUSES, topup
from connector.storage.tables.ops import job_run
from connector.storage.tables.sync import webhook_inbox

ServeProcess = Callable[..., "Served"]
WaitSettled = Callable[..., None]

SCHEDULED_JOBS = ("windowed-sync", "full-window-sync", "full-sync", "token-refresh", "period-close")
"""The cron jobs `prepaid serve` schedules (connector.runtime); each also runs once at start-up."""


class Served:
    """One `prepaid serve` process, its address and its log (one JSON object a line)."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def wait_ready(self, timeout: float = 30) -> Served:
        """Wait until `/healthz` answers 200; fail at once, with the log, if the process exits."""

        def healthy() -> bool:
            assert self.process.poll() is None, f"prepaid serve exited during start-up: {self.log_tail()}"
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(
            healthy, timeout=timeout, message=lambda: f"prepaid serve did not start: {self.log_tail()}"
        )
        return self

    def events(self) -> list[dict[str, Any]]:
        """The structured log lines written so far (a line still being written is left out)."""
        found: list[dict[str, Any]] = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return found

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        """Send `sig` and wait for the process to exit; its return code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_env(stack: Container, port: int, **extra: str) -> dict[str, str]:
    settings = stack.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    env.update(
        {
            "PREPAID_DATABASE_URL": settings.resolved_database_url,
            "PREPAID_DATA_DIR": str(settings.data_dir),
            "PREPAID_SECRET_KEY": settings.secret_key.get_secret_value() if settings.secret_key else "",
            "PREPAID_TEAMLEADER_API_URL": settings.teamleader_api_url,
            "PREPAID_TEAMLEADER_AUTH_URL": settings.teamleader_auth_url,
            "PREPAID_TEAMLEADER_CLIENT_ID": settings.teamleader_client_id or "",
            "PREPAID_TEAMLEADER_CLIENT_SECRET": (
                settings.teamleader_client_secret.get_secret_value()
                if settings.teamleader_client_secret
                else ""
            ),
            "PREPAID_SYNC_SINCE": str(settings.sync_since),
            "PREPAID_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "PREPAID_PORT": str(port),
            "PREPAID_LOG_FORMAT": "json",
            "PREPAID_WORKER_INTERVAL_SECONDS": "0.5",
            "PREPAID_RATE_LIMIT_PER_MINUTE": "100000",
            **extra,
        }
    )
    return env


@pytest.fixture
def start_serve(tmp_path: Path) -> Iterator[ServeProcess]:
    """Start `prepaid serve` processes for a connected stack; killed after the test if still running.

    `ready=False` returns as soon as the process is launched (call `wait_ready()` later), so that
    several instances can start side by side and race for the same start-up firings.
    """
    started: list[Served] = []

    def start(stack: Container, *, port: int | None = None, ready: bool = True, **extra: str) -> Served:
        port = port or _free_port()
        log = tmp_path / f"serve-{port}-{len(started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "connector", "serve"],
                env=serve_env(stack, port, **extra),
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        served = Served(process, f"http://127.0.0.1:{port}", log)
        started.append(served)
        return served.wait_ready() if ready else served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(10)


def open_work(engine: Engine, sandbox: SandboxServer) -> str | None:
    """What the `prepaid serve` instances on `engine` still have to do, or None when nothing is left.

    Nothing is left when every start-up firing of the scheduled jobs has been claimed and no job is
    running, no top-up is in an open state, every webhook the sandbox queued has been answered and
    every stored event is processed. The looks are ordered so that the answer holds when it is
    None: top-ups are final before the webhook queue is drained (so the events of their last
    Teamleader calls are in the inbox), the inbox is empty after that (so the events are handled),
    and top-ups and jobs are looked at again last, since a handled event or a job that started in
    the meantime can plan a new top-up (it is planned in the transaction that writes the entry,
    before the event is marked done).
    """
    if (still_open := _open_jobs(engine) or _open_topups(engine)) is not None:
        return still_open
    queued = httpx.post(f"{sandbox.url}/_sandbox/webhooks/wait", json={"timeout": 5}, timeout=30)
    if queued.status_code != 200:
        return "the sandbox still has webhook deliveries queued"
    with engine.connect() as conn:
        pending = conn.execute(
            select(func.count()).select_from(webhook_inbox).where(webhook_inbox.c.status != "done")
        ).scalar_one()
    if pending:
        return f"{pending} webhook events not processed"
    return _open_topups(engine) or _open_jobs(engine)


def _open_jobs(engine: Engine) -> str | None:
    with engine.connect() as conn:
        jobs = conn.execute(select(job_run.c.job, job_run.c.slot, job_run.c.finished_at)).all()
    unclaimed = sorted(set(SCHEDULED_JOBS) - {r.job for r in jobs})
    if unclaimed:
        return f"start-up firings not claimed yet: {unclaimed}"
    running = sorted(f"{r.job}@{r.slot}" for r in jobs if r.finished_at is None)
    return f"jobs still running: {running}" if running else None


def _open_topups(engine: Engine) -> str | None:
    with engine.connect() as conn:
        rows = conn.execute(select(topup.c.status).where(topup.c.status.in_(OPEN_TOPUP_STATUSES))).all()
    return f"top-ups still open: {sorted(r.status for r in rows)}" if rows else None


@pytest.fixture
def wait_until_settled() -> WaitSettled:
    """`wait_until_settled(engine, sandbox, *served, timeout=30)`: wait until `open_work` is None.

    This is how a test knows that the instances have had every chance to do something twice: it
    waits for the end of all work that could, instead of sleeping for a while and hoping.
    """

    def wait(engine: Engine, sandbox: SandboxServer, *served: Served, timeout: float = 30) -> None:
        last: list[str | None] = [None]

        def settled() -> bool:
            last[0] = open_work(engine, sandbox)
            return last[0] is None

        def report() -> str:
            logs = "\n".join(f"--- {s.log.name}:\n{s.log_tail()}" for s in served)
            return f"the serve instances did not settle; still open: {last[0]}\n{logs}"

        wait_until(settled, timeout=timeout, message=report, interval=0.05)

    return wait
