"""`prepaid budgets reconcile` as an operator runs it: a large catch-up shared between processes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from budgets_fixtures import NOW, auto_budget, make_budget
from sqlalchemy import Engine, insert
from support.cli import json_output, run_cli
from support.clock import PinnedClock

from connector.billing import CustomerRef, CustomerType
from connector.budgets import BudgetsService
from connector.storage.tables.sync import time_entry

ENTRIES = 60_000  # above the size from which a call is shared between processes


def _reconcile(engine: Engine, tmp_path: Path) -> Any:
    result = run_cli(
        engine, tmp_path, "budgets", "reconcile", "--json", settings={"PREPAID_APPLY_WORKERS": "2"}
    )
    return json_output(result)


def test_reconcile_catches_up_a_large_backlog_in_two_processes_once(engine: Engine, tmp_path: Path) -> None:
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    for n in range(10):
        shape = auto_budget if n % 2 else make_budget
        customer = CustomerRef(CustomerType.COMPANY, f"c{n}")
        service.create(shape(id=f"b{n}", customer=customer, name=f"Budget {n}"), actor="test")
    rows = []
    for i in range(ENTRIES):
        day = date(2026, 2, 1) + timedelta(days=i % 28)
        rows.append(
            {
                "id": f"e{i:06d}",
                "user_id": "u1",
                "work_type_id": "wt1",
                "started_on": day,
                "started_at": datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                "duration_seconds": 900 + i % 3600,
                "customer_type": "company",
                "customer_id": f"c{i % 10}",
                "invoiceable": i % 4 != 0,
                "revision": 1,
                "raw": {},
                "content_hash": "x",
                "synced_at": NOW,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(time_entry), rows)

    first = _reconcile(engine, tmp_path)
    again = _reconcile(engine, tmp_path)

    assert first["processes"] == 2
    assert first["conflicts"] == []
    auto_invoiceable = sum(1 for i in range(ENTRIES) if i % 2 and i % 4 != 0)
    assert first["outcomes"] == {"subtracted": auto_invoiceable, "pending": ENTRIES - auto_invoiceable}
    assert again["outcomes"] == {}
