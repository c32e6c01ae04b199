"""`prepaid sync` beside a sync that is running (serve's schedule, another cron job), as cron runs it.

The running sync is a real one in this process (a first full sync against the sandbox) held at its
hand-on of the changed entries until the test lets it go, so it owns the database's sync lock for
exactly as long as the test needs. The command runs as its own process, as cron would start it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.sandbox_copy import control
from support.waiting import wait_until

from connector.bootstrap import Container
from connector.sync import SyncEngine
from connector.teamleader import Lane


def _env(stack: Container) -> dict[str, str]:
    settings = stack.settings
    assert settings.secret_key is not None and settings.teamleader_client_secret is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    env.update(
        {
            "PREPAID_DATABASE_URL": settings.resolved_database_url,
            "PREPAID_DATA_DIR": str(settings.data_dir),
            "PREPAID_SECRET_KEY": settings.secret_key.get_secret_value(),
            "PREPAID_TEAMLEADER_API_URL": settings.teamleader_api_url,
            "PREPAID_TEAMLEADER_AUTH_URL": settings.teamleader_auth_url,
            "PREPAID_TEAMLEADER_CLIENT_ID": settings.teamleader_client_id or "",
            "PREPAID_TEAMLEADER_CLIENT_SECRET": settings.teamleader_client_secret.get_secret_value(),
            "PREPAID_SYNC_SINCE": str(settings.sync_since),
            "PREPAID_RATE_LIMIT_PER_MINUTE": "100000",
            "PREPAID_LOG_FORMAT": "json",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def _cli(stack: Container, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        env=_env(stack),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@contextmanager
def _running_sync(stack: Container) -> Iterator[threading.Event]:
    """A first full sync that holds the sync lock until the yielded event is set."""
    handing_on, release = threading.Event(), threading.Event()

    def hold(_: Sequence[str]) -> None:
        handing_on.set()
        release.wait(90)

    assert stack.settings.sync_since is not None
    running = SyncEngine(
        stack.engine,
        stack.teamleader().in_lane(Lane.BULK),
        since=stack.settings.sync_since,
        window_days=stack.settings.sync_window_days,
        on_entries_changed=hold,
    )
    thread = threading.Thread(target=running.full, daemon=True)
    thread.start()
    wait_until(handing_on.is_set, timeout=60, message="the running sync never reached its hand-on")
    try:
        yield release
    finally:
        release.set()
        thread.join(60)


def test_sync_waits_for_the_running_sync_and_then_reports_its_own_run(
    start_sandbox: Any, connect_stack: Any, tmp_path: Path
) -> None:
    sandbox = start_sandbox(entries=200)
    stack = connect_stack(sandbox)
    log: list[str] = []
    with (
        _running_sync(stack) as release,
        subprocess.Popen(
            [sys.executable, "-m", "connector", "sync", "--json", "--wait", "120"],
            env=_env(stack),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as cli,
    ):
        assert cli.stderr is not None and cli.stdout is not None
        reader = threading.Thread(target=lambda: log.extend(cli.stderr or []), daemon=True)
        reader.start()
        wait_until(
            lambda: any('"sync.waiting"' in line for line in log),
            timeout=60,
            message=lambda: f"`prepaid sync` never said it was waiting: {''.join(log)[-2000:]}",
        )
        release.set()
        assert cli.wait(90) == 0, "".join(log)[-2000:]
        output = cli.stdout.read()
        reader.join(10)
    report = json.loads(output)
    assert report["kind"] == "windowed"
    assert report["skipped"] is False
    assert report["waited_seconds"] > 0
    entries = next(r for r in report["resources"] if r["resource"] == "time_entries")
    assert entries["fetched"] > 0
    assert entries["api_calls"] > 0


def test_sync_exits_0_saying_a_sync_is_running_when_the_wait_ends_first(
    start_sandbox: Any, connect_stack: Any, tmp_path: Path
) -> None:
    sandbox = start_sandbox(entries=200)
    stack = connect_stack(sandbox)
    with _running_sync(stack):
        control(sandbox, "DELETE", "requests")
        told = _cli(stack, "sync", "--wait", "1", cwd=tmp_path)
        as_json = _cli(stack, "sync", "--full", "--json", "--wait", "0", cwd=tmp_path)
        counts = control(sandbox, "GET", "requests")["counts"]
    assert told.returncode == 0, told.stderr
    assert "A sync is already running" in told.stderr
    assert as_json.returncode == 0, as_json.stderr
    skipped = json.loads(as_json.stdout)
    assert skipped["skipped"] is True
    assert skipped["kind"] == "full"
    assert "already running" in skipped["reason"]
    assert (skipped["api_calls"], skipped["resources"], skipped["changed_entries"]) == (0, [], 0)
    assert "timeTracking.list" not in counts


def test_a_real_failure_still_exits_1(start_sandbox: Any, connect_stack: Any, tmp_path: Path) -> None:
    sandbox = start_sandbox(entries=20)
    stack = connect_stack(sandbox)
    control(sandbox, "POST", "tokens/revoke")
    failed = _cli(stack, "sync", "--wait", "5", cwd=tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "error:" in failed.stderr
    assert "prepaid auth login" in failed.stderr
