"""Two processes choose the same time entry at the same moment: one wins, the other is told why.

Both racers stand at the test's pinned instant (passed on their command line), as the budget does."""

from __future__ import annotations

import json
from pathlib import Path

from budgets_fixtures import NOW, make_budget, put_entry
from sqlalchemy import Engine, func, select
from support.clock import PinnedClock
from support.racing import race

from connector.budgets import BudgetsService
from connector.storage.tables.budgets import entry_allocation, ledger_line

CHOOSER = r"""
import json
from datetime import datetime
from connector.budgets import BudgetsService, Choice, ChoiceLost, Selection
from connector.storage import create_db_engine

now = datetime.fromisoformat(sys.argv[4])
service = BudgetsService(create_db_engine(sys.argv[3]), clock=lambda: now)
with service.engine.connect() as conn:
    conn.exec_driver_sql("SELECT 1")
ready_then_wait()
try:
    result = service.choose(Choice.SUBTRACT, Selection(entry_ids=("e1",)), actor=name)
except ChoiceLost as error:
    print(json.dumps({"name": name, "lost": str(error)}))
else:
    print(json.dumps({"name": name, "changed": len(result.changed), "why": [w for _, _, w in result.unchanged]}))
"""


def test_two_processes_subtracting_the_same_entry(engine: Engine, db_url: str, tmp_path: Path) -> None:
    clock = PinnedClock(NOW)
    service = BudgetsService(engine, clock=clock)
    service.create(make_budget(), actor="test")
    put_entry(engine, "e1")
    service.apply_entries(["e1"])
    results = []
    for done in race(CHOOSER, ("alice", "bob"), tmp_path, db_url, clock.at.isoformat()):
        assert done.returncode == 0, done.stderr
        results.append(json.loads(done.stdout))
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
