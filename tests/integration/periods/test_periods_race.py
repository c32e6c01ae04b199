"""Two processes close the same periods at the same moment: one closing and one grant per period."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from periods_fixtures import ACME, after, kinds, local, put_entry, renewing
from sqlalchemy import Engine
from support.clock import PinnedClock
from support.racing import race

from connector.budgets import BudgetsService

CLOSER = r"""
import json
from datetime import datetime
from connector.budgets.periods import PeriodCloser
from connector.storage import create_db_engine

engine, now = create_db_engine(sys.argv[3]), datetime.fromisoformat(sys.argv[4])
with engine.connect() as conn:
    conn.exec_driver_sql("SELECT 1")
ready_then_wait()
report = PeriodCloser(engine, clock=lambda: now, actor=name).close_due()
print(json.dumps(report.as_dict()))
"""


def test_two_processes_closing_at_the_boundary(engine: Engine, db_url: str, tmp_path: Path) -> None:
    clock = PinnedClock(after(date(2026, 1, 1)))
    service = BudgetsService(engine, clock=clock)
    for n, customer in enumerate(("c-acme", "c-globex")):
        service.create(replace(renewing(), id=f"b{n}", customer=replace(ACME, id=customer)), actor="t")
    put_entry(engine, "e1", local(date(2026, 1, 20)))
    service.apply_entries(["e1"])
    now = after(date(2026, 3, 1), hours=0).isoformat()
    outputs = race(CLOSER, ("serve-a", "serve-b"), tmp_path, db_url, now)
    assert all(done.returncode == 0 for done in outputs), [(done.stdout, done.stderr) for done in outputs]
    reports = [json.loads(done.stdout) for done in outputs]
    closed = sorted((c["budget_id"], c["period"]) for r in reports for c in r["closed"])
    assert closed == [("b0", "2026-01"), ("b0", "2026-02"), ("b1", "2026-01"), ("b1", "2026-02")]
    for budget_id in ("b0", "b1"):
        assert kinds(engine, budget_id).count("period_close") == 2
        assert kinds(engine, budget_id).count("period_grant") == 3
