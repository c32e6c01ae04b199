"""Two `prepaid serve` instances on one PostgreSQL database: no scheduled job and no top-up runs twice."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support.sandbox_copy import auto_topup_budgets, control

from connector.budgets.files import apply_file
from connector.storage.tables.invoicing import topup
from connector.storage.tables.ops import job_run
from connector.sync.subscription import event_types, webhook_secret

DURATION = 60.0


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_instances_for_a_minute_of_crossings(
    start_sandbox: Any, connect_stack: Any, start_serve: Any, tmp_path: Path
) -> None:
    sandbox = start_sandbox(entries=200)
    stack = connect_stack(sandbox)
    stack.sync_engine().full()
    state = control(sandbox, "GET", "state?entries=0")
    companies = [c["id"] for c in state["companies"][:6]]
    (tmp_path / "budgets.toml").write_text(
        auto_topup_budgets(sandbox, 6, threshold="400.00", opening="600.00", topup="500.00")
    )
    apply_file(stack.budgets(), tmp_path / "budgets.toml", actor="test")
    schedule = {"PREPAID_SCHEDULE_SYNC": "* * * * *", "PREPAID_SCHEDULE_TOKEN_REFRESH": "* * * * *"}
    control(sandbox, "DELETE", "requests")
    first, second = start_serve(stack, **schedule), start_serve(stack, **schedule)
    secret = webhook_secret(stack.settings)
    for served in (first, second):
        stack.teamleader().register_webhook(f"{served.url}/webhooks/teamleader/{secret}", event_types())
    user = state["users"][0]["id"]
    started = datetime(2026, 11, 22, 8, tzinfo=UTC)
    stop_at = time.monotonic() + DURATION
    for index in itertools.count():
        if time.monotonic() > stop_at:
            break
        control(
            sandbox,
            "POST",
            "time-entries",
            {
                "user_id": user,
                "started_at": (started + timedelta(minutes=index)).isoformat(),
                "duration": 3 * 3600,
                "description": f"work {index}",
                "subject": {"type": "company", "id": companies[index % len(companies)]},
                "invoiceable": True,
            },
        )
        time.sleep(0.4)
    time.sleep(5)
    for served in (first, second):
        served.stop()
    counts = control(sandbox, "GET", "requests")["counts"]
    with stack.engine.connect() as conn:
        topups = conn.execute(select(topup.c.id, topup.c.marker, topup.c.invoice_id, topup.c.status)).all()
        runs = conn.execute(select(job_run.c.job, job_run.c.slot, job_run.c.outcome)).all()
    invoices = [
        i
        for i in control(sandbox, "GET", "state?entries=0")["invoices"]
        if (i.get("purchase_order_number") or "").startswith("PP-")
    ]
    assert len(topups) >= 10, "the test must cause many crossings"
    per_marker = Counter(i["purchase_order_number"] for i in invoices)
    assert all(n == 1 for n in per_marker.values()), per_marker
    assert set(per_marker) == {t.marker for t in topups if t.invoice_id}
    assert counts.get("invoices.draft", 0) == len(per_marker)
    assert counts.get("invoices.book", 0) == len(per_marker)
    syncs = [r for r in runs if r.job in ("windowed-sync", "full-sync")]
    assert len({(r.job, r.slot) for r in runs}) == len(runs)
    assert any(r.job == "windowed-sync" for r in syncs)
    # A sync that found another one running (SyncBusy) fails before any call; every other claimed
    # firing lists users exactly once, so a firing run by both instances would show up here.
    assert counts.get("users.list", 0) == len([r for r in syncs if r.outcome == "ok"])
