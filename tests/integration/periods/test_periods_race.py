"""Two processes close the same periods at the same moment: one closing and one grant per period."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from periods_fixtures import ACME, Clock, after, kinds, local, put_entry, renewing
from sqlalchemy import Engine

from connector.budgets import BudgetsService

CLOSER = r"""
import json, sys, time
from datetime import datetime
from pathlib import Path
from connector.budgets.periods import PeriodCloser
from connector.storage import create_db_engine

url, go, name, now = sys.argv[1], Path(sys.argv[2]), sys.argv[3], datetime.fromisoformat(sys.argv[4])
engine = create_db_engine(url)
with engine.connect() as conn:
    conn.exec_driver_sql("SELECT 1")
Path(sys.argv[2] + "." + name).touch()
deadline = time.monotonic() + 30
while not go.exists():
    if time.monotonic() > deadline:
        raise SystemExit("no go signal")
    time.sleep(0.001)
report = PeriodCloser(engine, clock=lambda: now, actor=name).close_due()
print(json.dumps(report.as_dict()))
"""


def test_two_processes_closing_at_the_boundary(engine: Engine, db_url: str, tmp_path: Path) -> None:
    clock = Clock(after(date(2026, 1, 1)))
    service = BudgetsService(engine, clock=clock)
    for n, customer in enumerate(("c-acme", "c-globex")):
        service.create(replace(renewing(), id=f"b{n}", customer=replace(ACME, id=customer)), actor="t")
    put_entry(engine, "e1", local(date(2026, 1, 20)))
    service.apply_entries(["e1"])
    now = after(date(2026, 3, 1), hours=0).isoformat()
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLOSER, db_url, str(go), name, now],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("serve-a", "serve-b")
    ]
    ready = [tmp_path / "go.serve-a", tmp_path / "go.serve-b"]
    deadline = time.monotonic() + 60
    while not all(path.exists() for path in ready):
        assert all(proc.poll() is None for proc in procs), [proc.communicate() for proc in procs]
        assert time.monotonic() < deadline, "the closers did not start"
        time.sleep(0.01)
    go.touch()
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    reports = [json.loads(out) for out, _ in outputs]
    closed = sorted((c["budget_id"], c["period"]) for r in reports for c in r["closed"])
    assert closed == [("b0", "2026-01"), ("b0", "2026-02"), ("b1", "2026-01"), ("b1", "2026-02")]
    for budget_id in ("b0", "b1"):
        assert kinds(engine, budget_id).count("period_close") == 2
        assert kinds(engine, budget_id).count("period_grant") == 3
