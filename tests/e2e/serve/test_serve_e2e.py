"""`prepaid serve` end to end: a webhook leads to a top-up invoice in seconds; SIGTERM loses nothing."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from support.sandbox_copy import auto_topup_budgets, control, seed_anchor
from support.waiting import wait_until

from connector.budgets.files import apply_file
from connector.storage.tables.invoicing import topup
from connector.storage.tables.sync import time_entry, webhook_inbox
from connector.sync.subscription import event_types, webhook_secret, webhook_url


def test_a_webhook_crossing_becomes_one_booked_invoice_within_seconds(
    start_sandbox: Any, connect_stack: Any, start_serve: Any, wait_until_settled: Any, tmp_path: Path
) -> None:
    sandbox = start_sandbox(entries=300)
    stack = connect_stack(sandbox)
    stack.sync_engine().full()
    (tmp_path / "budgets.toml").write_text(
        auto_topup_budgets(sandbox, 1, threshold="500.00", opening="1000.00", topup="1000.00")
    )
    state = control(sandbox, "GET", "state?entries=0")
    company = state["companies"][0]["id"]
    apply_file(stack.budgets(), tmp_path / "budgets.toml", actor="test")
    served = start_serve(stack)
    stack.teamleader().register_webhook(
        webhook_url(stack.settings.model_copy(update={"public_url": served.url})), event_types()
    )
    users = state["users"]
    before = {i["id"] for i in control(sandbox, "GET", "state?entries=0")["invoices"]}
    worked = datetime.combine(seed_anchor(state) + timedelta(days=2), time(10), UTC)
    control(
        sandbox,
        "POST",
        "time-entries",
        {
            "user_id": users[0]["id"],
            "started_at": worked.isoformat(),
            "duration": 8 * 3600,
            "description": "migration weekend",
            "subject": {"type": "company", "id": company},
            "invoiceable": True,
        },
    )

    def new_invoices() -> list[dict[str, Any]]:
        invoices = control(sandbox, "GET", "state?entries=0")["invoices"]
        return [i for i in invoices if i["id"] not in before and i["status"] == "outstanding"]

    wait_until(new_invoices, timeout=5, message=lambda: f"no booked invoice within 5 s: {served.log_tail()}")
    # "One" invoice: wait until nothing is left that could make a second one (the start-up syncs
    # have run, the top-up is final, every webhook is answered and processed), then count.
    wait_until_settled(stack.engine, sandbox, served)
    created = new_invoices()
    assert len(created) == 1
    invoice = created[0]
    with stack.engine.connect() as conn:
        topups = conn.execute(select(topup.c.status, topup.c.invoice_id)).all()
    assert [(t.status, t.invoice_id) for t in topups] == [("credited", invoice["id"])]
    assert invoice["invoicee"]["customer"] == {"type": "company", "id": company}
    assert str(invoice["total"]["tax_exclusive"]["amount"]) in ("1000", "1000.0", "1000.00")
    line = invoice["grouped_lines"][0]["line_items"][0]
    assert line["description"] == "Top-up of Retainer 0"
    assert served.stop() in (0, -signal.SIGTERM)


def test_sigterm_during_a_webhook_burst_loses_no_accepted_event(
    start_sandbox: Any, connect_stack: Any, start_serve: Any
) -> None:
    sandbox = start_sandbox(entries=600)
    stack = connect_stack(sandbox)
    stack.sync_engine().full()
    with stack.engine.connect() as conn:
        entry_ids = [r[0] for r in conn.execute(select(time_entry.c.id).limit(500))]
    served = start_serve(stack)
    hook = f"{served.url}/webhooks/teamleader/{webhook_secret(stack.settings)}"
    accepted: list[str] = []
    lock = threading.Lock()

    def deliver(entry_id: str) -> None:
        payload = {
            "type": "timeTracking.updated",
            "subject": {"type": "timeTracking", "id": entry_id},
            "account": {"type": "account", "id": "x"},
        }
        try:
            response = httpx.post(hook, json=payload, timeout=10)
        except httpx.HTTPError:
            return
        if response.status_code == 202:
            with lock:
                accepted.append(entry_id)

    def accepted_count() -> int:
        with lock:
            return len(accepted)

    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(deliver, entry_id) for entry_id in entry_ids]
        # SIGTERM in the middle of the burst: as soon as 150 deliveries were accepted.
        wait_until(
            lambda: accepted_count() >= 150,
            timeout=60,
            message=lambda: f"only {accepted_count()} of 500 deliveries accepted: {served.log_tail()}",
            interval=0.005,
        )
        served.process.send_signal(signal.SIGTERM)
        for future in futures:
            future.result()
    assert served.stop() in (0, -signal.SIGTERM)
    assert 150 <= len(accepted) <= 500
    restarted = start_serve(stack)

    def settled() -> bool:
        with stack.engine.connect() as conn:
            open_rows = conn.execute(
                select(func.count()).select_from(webhook_inbox).where(webhook_inbox.c.status != "done")
            ).scalar_one()
        return bool(open_rows == 0)

    wait_until(
        settled,
        timeout=30,
        message=lambda: f"the restarted instance left events unprocessed: {restarted.log_tail()}",
        interval=0.1,
    )
    with stack.engine.connect() as conn:
        done = {
            r[0]
            for r in conn.execute(select(webhook_inbox.c.subject_id).where(webhook_inbox.c.status == "done"))
        }
        assert conn.execute(select(func.count()).select_from(topup)).scalar_one() == 0
    assert set(accepted) <= done
    assert restarted.stop() in (0, -signal.SIGTERM)
