"""Two-second access tokens (issue 16, item 3): a full sync of 600 entries and a webhook burst
both succeed, with one refresh per expiry.

Before, the sync looked customers up (time on tasks) inside its write transaction, and the token
refresh took the token row's lock in a transaction of its own: a refresh during a sync waited for
the sync's own lock and the sync died with `database is locked` after 30 s. So a tenth of the
entries here are on tasks, whose customer costs a `tasks.list` call. Here every refresh
grant the sandbox answered is checked (`/_sandbox/oauth/refresh-grants`): none refused (a refresh
token sent twice, or by two processes for the same expiry), and none spent a pair long before it
neared its expiry (a refresh before every call). The burst is processed by the inbox on one
thread while a windowed sync runs on another and a second `prepaid` process calls the API, all
starting on the same expired token.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.sandbox_copy import assert_copy_equals_sandbox, control, random_changes
from support.waiting import wait_until

from connector.bootstrap import Container
from connector.storage.token_store import TokenStore
from connector.sync.inbox import record_event

pytestmark = pytest.mark.e2e

LIFETIME = 2
HOOK_URL = "https://hooks.example-agency.be/burst"
ENTRY_EVENTS = ["timeTracking.added", "timeTracking.updated", "timeTracking.deleted"]


def _prepaid(stack: Container, cwd: Path, *args: str) -> subprocess.Popen[str]:
    settings = stack.settings
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
            "PREPAID_PUBLIC_URL": "https://prepaid.example-agency.be",
            "PREPAID_LOG_FORMAT": "json",
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "connector", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]
    return out


def _until_expired(stack: Container) -> None:
    """Wait for the stored access token to expire, so the next call must refresh it."""
    store = TokenStore.from_settings(stack.settings, stack.engine)
    stored = store.load()
    assert stored is not None
    wait_until(
        lambda: stack.clock.time() >= stored.expires_at,
        timeout=LIFETIME + 5,
        message="the two-second access token did not expire",
    )


def _in_thread(work: Callable[[], Any], failures: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed to the test, which fails with it
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _drain(stack: Container) -> None:
    inbox = stack.inbox()
    while inbox.process():
        pass


def _assert_one_refresh_per_expiry(sandbox: Any) -> int:
    grants = control(sandbox, "GET", "oauth/refresh-grants")
    assert grants["access_token_lifetime"] == LIFETIME
    assert grants["refused"] == 0, grants["refresh_grants"]
    early = [g for g in grants["refresh_grants"] if g["spent_pair_age"] < LIFETIME / 4]
    assert early == [], f"refreshed long before the pair neared its expiry: {early}"
    rotated: int = grants["rotated"]
    return rotated


def test_two_second_tokens_a_full_sync_and_a_webhook_burst_refresh_once_per_expiry(
    start_sandbox: Any, connect_stack: Any, tmp_path: Path
) -> None:
    sandbox = start_sandbox(
        entries=600, task_share=0.1, access_token_lifetime=LIFETIME, webhook_drop_probability=1.0
    )
    stack: Container = connect_stack(sandbox)

    _until_expired(stack)
    _finished(_prepaid(stack, tmp_path, "sync", "--full", "--json"))
    assert_copy_equals_sandbox(stack.engine, sandbox)
    assert control(sandbox, "GET", "requests")["counts"].get("tasks.list", 0) >= 1
    after_sync = _assert_one_refresh_per_expiry(sandbox)
    assert after_sync >= 1

    stack.teamleader().register_webhook(HOOK_URL, ENTRY_EVENTS)
    control(sandbox, "DELETE", "webhooks/deliveries")
    random_changes(sandbox, random.Random(16), 50)
    burst = [d["payload"] for d in control(sandbox, "GET", "webhooks/deliveries")["deliveries"]]
    assert len(burst) == 150
    for payload in burst:
        record_event(stack.engine, payload, account_id=None, now=stack.clock.now())

    _until_expired(stack)
    failures: list[BaseException] = []
    other_process = _prepaid(stack, tmp_path, "webhooks", "list", "--json")
    threads = [
        _in_thread(lambda: _drain(stack), failures),
        _in_thread(stack.sync_engine().windowed, failures),
    ]
    for thread in threads:
        thread.join(timeout=120)
    assert HOOK_URL in _finished(other_process)
    assert failures == []
    assert_copy_equals_sandbox(stack.engine, sandbox)
    assert _assert_one_refresh_per_expiry(sandbox) > after_sync
