"""Two `prepaid serve` instances on one PostgreSQL database: no scheduled job and no top-up runs twice.

The instances start side by side, so both fire every scheduled job at start-up for the same slot
(jobs run once at start-up); the test waits until each job's firing was refused to one of them
(their `claimed_elsewhere` debug line), so the database, not timing, decided who ran it. Crossings
then come in rounds, one time entry per budget at once, each delivered to both instances, until
enough top-ups were planned. The minute-long version of this test got one scheduled windowed
sync in the middle of the crossings; now every round, once both instances have answered and
processed its webhooks (the event that ends a round, instead of a pause), runs that job's body
(`Container.reconcile`: sync, threshold check, top-up pass) from the test as a third contender
for the round's top-ups.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from support.sandbox_copy import auto_topup_budgets, control, seed_anchor
from support.waiting import wait_until

from connector.budgets.files import apply_file
from connector.storage.tables.invoicing import topup
from connector.storage.tables.ops import job_run
from connector.storage.tables.sync import webhook_inbox
from connector.sync.engine import SyncBusy
from connector.sync.subscription import event_types, webhook_secret

COMPANIES = 12
MIN_TOPUPS = 80
"""Rounds go on until this many top-ups were planned: as many races as the minute-long run gave
(about 80 top-ups from 140 entries), in a fraction of the time."""

INSTANCE_ENV = {
    "PREPAID_SCHEDULE_SYNC": "* * * * *",
    "PREPAID_SCHEDULE_TOKEN_REFRESH": "* * * * *",
    # The instance that loses a firing says so at debug level only.
    "PREPAID_LOG_LEVEL": "debug",
}
SCHEDULED_JOBS = ("windowed-sync", "full-window-sync", "full-sync", "token-refresh", "period-close")


def _refused_jobs(*served: Any) -> set[str]:
    """Jobs of which some firing was found already claimed by the other instance."""
    return {
        str(event["job"])
        for one in served
        for event in one.events()
        if event.get("event") == "job.skipped" and event.get("reason") == "claimed_elsewhere"
    }


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_instances_under_rounds_of_crossings(
    start_sandbox: Any, connect_stack: Any, start_serve: Any, wait_until_settled: Any, tmp_path: Path
) -> None:
    sandbox = start_sandbox(entries=200)
    stack = connect_stack(sandbox)
    stack.sync_engine().full()
    state = control(sandbox, "GET", "state?entries=0")
    companies = [c["id"] for c in state["companies"][:COMPANIES]]
    (tmp_path / "budgets.toml").write_text(
        auto_topup_budgets(sandbox, COMPANIES, threshold="400.00", opening="600.00", topup="500.00")
    )
    apply_file(stack.budgets(), tmp_path / "budgets.toml", actor="test")
    control(sandbox, "DELETE", "requests")
    instances = [start_serve(stack, ready=False, **INSTANCE_ENV) for _ in range(2)]
    for served in instances:
        served.wait_ready()
    secret = webhook_secret(stack.settings)
    for served in instances:
        stack.teamleader().register_webhook(f"{served.url}/webhooks/teamleader/{secret}", event_types())
    user = state["users"][0]["id"]
    started = datetime.combine(seed_anchor(state) + timedelta(days=2), time(8), UTC)

    def planned() -> int:
        with stack.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(topup)).scalar_one())

    def round_handled() -> bool:
        """Both instances answered every delivery of the round and processed what they stored."""
        queued = httpx.post(f"{sandbox.url}/_sandbox/webhooks/wait", json={"timeout": 5}, timeout=30)
        if queued.status_code != 200:
            return False
        with stack.engine.connect() as conn:
            return not conn.execute(
                select(func.count()).select_from(webhook_inbox).where(webhook_inbox.c.status != "done")
            ).scalar_one()

    entries, reconciled = 0, 0
    while planned() < MIN_TOPUPS:
        assert entries < 50 * COMPANIES, f"only {planned()} top-ups after {entries} entries"
        for company in companies:
            control(
                sandbox,
                "POST",
                "time-entries",
                {
                    "user_id": user,
                    "started_at": (started + timedelta(minutes=entries)).isoformat(),
                    "duration": 3 * 3600,
                    "description": f"work {entries}",
                    "subject": {"type": "company", "id": company},
                    "invoiceable": True,
                },
            )
            entries += 1
        wait_until(
            round_handled,
            timeout=30,
            message=lambda: (
                "the instances did not handle a round of webhooks: "
                + "".join(s.log_tail() for s in instances)
            ),
        )
        # Once the instances have synced the round's entries (so this sync does not race their
        # inboxes to insert the same new rows), while the round's top-ups are still being driven.
        try:
            stack.reconcile()
            reconciled += 1
        except SyncBusy:
            pass  # an instance's sync holds the lock: this round has two contenders only
    wait_until_settled(stack.engine, sandbox, *instances)
    wait_until(
        lambda: _refused_jobs(*instances) >= set(SCHEDULED_JOBS),
        timeout=90,  # at worst the next minute's firing of the per-minute jobs is contested
        message=lambda: f"firings refused to the second instance: {sorted(_refused_jobs(*instances))}",
    )
    for served in instances:
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
    assert len(topups) >= MIN_TOPUPS, "the test must cause many crossings"
    per_marker = Counter(i["purchase_order_number"] for i in invoices)
    assert all(n == 1 for n in per_marker.values()), per_marker
    assert set(per_marker) == {t.marker for t in topups if t.invoice_id}
    assert counts.get("invoices.draft", 0) == len(per_marker)
    assert counts.get("invoices.book", 0) == len(per_marker)
    syncs = [r for r in runs if r.job in ("windowed-sync", "full-window-sync", "full-sync")]
    assert len({(r.job, r.slot) for r in runs}) == len(runs)
    assert any(r.job == "windowed-sync" for r in syncs)
    # A sync that found another one running (SyncBusy) fails before any call; every other claimed
    # firing, and every reconcile the test ran, lists users exactly once, so a firing run by both
    # instances would show up here.
    assert counts.get("users.list", 0) == len([r for r in syncs if r.outcome == "ok"]) + reconciled
