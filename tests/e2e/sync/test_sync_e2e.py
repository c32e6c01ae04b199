"""The sync against the sandbox over real sockets: full, windowed, webhooks, and their API cost."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select
from support.sandbox_copy import (
    api_calls,
    assert_copy_equals_sandbox,
    control,
    local_entries,
    minimum_calls,
    random_changes,
)

from connector.bootstrap import Container
from connector.storage.tables.sync import time_entry, webhook_inbox
from connector.sync.inbox import record_event

API_ENDPOINTS = (
    "users.list",
    "workTypes.list",
    "departments.list",
    "taxRates.list",
    "companies.list",
    "contacts.list",
    "timeTracking.list",
)


@pytest.mark.slow
def test_full_sync_of_50000_entries_equals_the_sandbox_within_the_call_budget(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox(companies=200, contacts=300, entries=50_000, months=12)
    stack: Container = connect_stack(sandbox)
    control(sandbox, "DELETE", "requests")
    report = stack.sync_engine().full()
    assert_copy_equals_sandbox(stack.engine, sandbox)
    state = control(sandbox, "GET", "state?entries=0")
    assert api_calls(sandbox) <= minimum_calls(state) + 10
    assert report.api_calls == api_calls(sandbox)
    assert report.unresolved_entries == 0


def test_second_full_sync_writes_nothing_and_marks_vanished_rows_deleted(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox()
    stack: Container = connect_stack(sandbox)
    engine = stack.sync_engine()
    engine.full()
    victim = next(iter(local_entries(stack.engine)))
    control(sandbox, "DELETE", f"time-entries/{victim}")
    again = engine.full()
    entries = next(r for r in again.resources if r.resource == "time_entries")
    assert (entries.created, entries.updated, entries.deleted) == (0, 0, 1)
    assert again.changed_entry_ids == {victim}
    with stack.engine.connect() as conn:
        assert (
            conn.execute(select(time_entry.c.deleted_at).where(time_entry.c.id == victim)).scalar()
            is not None
        )
    assert_copy_equals_sandbox(stack.engine, sandbox)


def test_lost_webhooks_are_repaired_by_the_next_windowed_sync(start_sandbox: Any, connect_stack: Any) -> None:
    sandbox = start_sandbox(entries=600)
    stack: Container = connect_stack(sandbox)
    stack.sync_engine().full()
    random_changes(sandbox, random.Random(3), 50)
    report = stack.sync_engine().windowed()
    entries = next(r for r in report.resources if r.resource == "time_entries")
    assert (entries.created, entries.updated, entries.deleted) == (50, 50, 50)
    assert_copy_equals_sandbox(stack.engine, sandbox)


def test_webhooks_bring_the_copy_up_to_date(start_sandbox: Any, connect_stack: Any) -> None:
    sandbox = start_sandbox(entries=600)
    stack: Container = connect_stack(sandbox)
    stack.sync_engine().full()
    control(sandbox, "DELETE", "webhooks/deliveries")
    receiver: list[dict[str, Any]] = []
    hook_server = _collecting_webhook_server(receiver)
    try:
        stack.teamleader().register_webhook(
            hook_server.url, ["timeTracking.added", "timeTracking.updated", "timeTracking.deleted"]
        )
        random_changes(sandbox, random.Random(5), 50)
        control(sandbox, "POST", "webhooks/wait", {"timeout": 10})
    finally:
        hook_server.stop()
    assert len(receiver) == 150
    for payload in receiver:
        record_event(stack.engine, payload, account_id=None, now=stack.clock.now())
    control(sandbox, "DELETE", "requests")
    inbox = stack.inbox()
    while inbox.process():
        pass
    assert_copy_equals_sandbox(stack.engine, sandbox)
    calls = control(sandbox, "GET", "requests")["counts"]
    assert calls.get("timeTracking.list", 0) == 2


def test_one_fetch_for_duplicates_and_bursts(start_sandbox: Any, connect_stack: Any) -> None:
    sandbox = start_sandbox(entries=50)
    stack: Container = connect_stack(sandbox)
    stack.sync_engine().full()
    entry_id = next(iter(local_entries(stack.engine)))
    payload = {
        "type": "timeTracking.updated",
        "subject": {"type": "timeTracking", "id": entry_id},
        "account": {"type": "account", "id": "acc"},
    }
    stored = [record_event(stack.engine, payload, account_id=None, now=stack.clock.now()) for _ in range(100)]
    assert stored.count(True) == 1
    control(sandbox, "DELETE", "requests")
    assert stack.inbox().process() == 1
    assert control(sandbox, "GET", "requests")["counts"] == {"timeTracking.list": 1}
    with stack.engine.connect() as conn:
        assert [r.status for r in conn.execute(select(webhook_inbox.c.status))] == ["done"]


class _collecting_webhook_server:
    """A tiny HTTP server on a real socket that records webhook deliveries."""

    def __init__(self, sink: list[dict[str, Any]]) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                sink.append(json.loads(self.rfile.read(length)))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
