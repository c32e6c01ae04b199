"""A full sync killed with SIGKILL at a random page resumes after its last checkpoint."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, select
from support.sandbox_copy import assert_copy_equals_sandbox

from connector.storage.tables.sync import sync_checkpoint
from connector.sync.source import MAX_PAGE_SIZE

ENTRIES = 3000


def _checkpoint_page(engine: Engine) -> tuple[str, int] | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(sync_checkpoint.c.state, sync_checkpoint.c.cursor).where(
                sync_checkpoint.c.resource == "time_entries"
            )
        ).first()
    return (row.state, int((row.cursor or {}).get("page", 0))) if row else None


def test_killed_full_sync_resumes_without_refetching(
    start_sandbox: Any, connect_stack: Any, sqlite_url: str, tmp_path: Path
) -> None:
    sandbox = start_sandbox(entries=ENTRIES, months=6)
    stack = connect_stack(sandbox)
    settings = stack.settings
    httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        # slow enough pages that the poll below sees the checkpoint well before the last page,
        # even on a loaded machine (at least 11 pages, over 2 s, are left when it kills)
        json={"rules": [{"endpoint": "timeTracking.list", "kind": "latency", "latency": 0.2}]},
        timeout=10,
    ).raise_for_status()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    env.update(
        {
            "PREPAID_DATABASE_URL": settings.resolved_database_url,
            "PREPAID_DATA_DIR": str(settings.data_dir),
            "PREPAID_SECRET_KEY": settings.secret_key.get_secret_value() if settings.secret_key else "",
            "PREPAID_TEAMLEADER_API_URL": sandbox.url,
            "PREPAID_TEAMLEADER_AUTH_URL": sandbox.url,
            "PREPAID_TEAMLEADER_CLIENT_ID": sandbox.client_id,
            "PREPAID_TEAMLEADER_CLIENT_SECRET": sandbox.client_secret,
            "PREPAID_SYNC_SINCE": "2025-01-01",
            "PREPAID_LOG_FORMAT": "json",
        }
    )
    kill_after = random.Random(os.getpid()).randint(3, 20)
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", "sync", "--full", "--json"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    watcher = create_engine(settings.resolved_database_url)
    try:
        while time.monotonic() < deadline:
            seen = _checkpoint_page(watcher)
            if seen and seen[1] >= kill_after:
                break
            assert process.poll() is None, "the sync finished before it could be killed"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=10)
    state, page = _checkpoint_page(watcher) or ("", 0)
    watcher.dispose()
    assert state == "running" and page >= kill_after
    httpx.delete(f"{sandbox.url}/_sandbox/faults", timeout=10).raise_for_status()
    httpx.delete(f"{sandbox.url}/_sandbox/requests", timeout=10).raise_for_status()
    stack.sync_engine().full()
    counts = httpx.get(f"{sandbox.url}/_sandbox/requests", timeout=10).json()["counts"]
    total_pages = ENTRIES // MAX_PAGE_SIZE + 1
    assert counts["timeTracking.list"] == total_pages - page
    assert "companies.list" not in counts and "contacts.list" not in counts
    assert_copy_equals_sandbox(stack.engine, sandbox)
