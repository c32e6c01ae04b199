"""Two processes choose the same time entry at the same moment: one wins, the other is told why."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from budgets_fixtures import make_budget, put_entry
from sqlalchemy import Engine, func, select

from connector.budgets import BudgetsService
from connector.storage.tables.budgets import entry_allocation, ledger_line

CHOOSER = r"""
import json, sys, time
from pathlib import Path
from connector.budgets import BudgetsService, Choice, ChoiceLost, Selection
from connector.storage import create_db_engine

url, go, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
service = BudgetsService(create_db_engine(url))
with service.engine.connect() as conn:
    conn.exec_driver_sql("SELECT 1")
Path(sys.argv[2] + "." + name).touch()
deadline = time.monotonic() + 30
while not go.exists():
    if time.monotonic() > deadline:
        raise SystemExit("no go signal")
    time.sleep(0.001)
try:
    result = service.choose(Choice.SUBTRACT, Selection(entry_ids=("e1",)), actor=name)
except ChoiceLost as error:
    print(json.dumps({"name": name, "lost": str(error)}))
else:
    print(json.dumps({"name": name, "changed": len(result.changed), "why": [w for _, _, w in result.unchanged]}))
"""


def test_two_processes_subtracting_the_same_entry(engine: Engine, db_url: str, tmp_path: Path) -> None:
    service = BudgetsService(engine)
    service.create(make_budget(), actor="test")
    put_entry(engine, "e1")
    service.apply_entries(["e1"])
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHOOSER, db_url, str(go), name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("alice", "bob")
    ]
    ready = [tmp_path / "go.alice", tmp_path / "go.bob"]
    deadline = time.monotonic() + 60
    while not all(path.exists() for path in ready):
        assert all(proc.poll() is None for proc in procs), [proc.communicate() for proc in procs]
        assert time.monotonic() < deadline, "the choosers did not start"
        time.sleep(0.005)
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    winners = [r for r in results if r.get("changed") == 1]
    losers = [r for r in results if r.get("changed") != 1]
    assert len(winners) == 1 and len(losers) == 1
    loser = losers[0]
    message = loser.get("lost") or loser["why"][0]
    assert "already subtracted (by " + winners[0]["name"] in message or "another process" in message
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(ledger_line).where(ledger_line.c.kind == "subtraction")
            ).scalar_one()
            == 1
        )
        assert conn.execute(select(entry_allocation.c.state, entry_allocation.c.version)).one() == (
            "subtracted",
            2,
        )
