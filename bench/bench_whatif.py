"""Benchmark of the what-if: one budget with 10,000 past entries replayed under a new rate,
rule and threshold (target: under 5 s), and the SQLite file's hash before and after (unchanged).

The entries are written straight into `time_entry` (as the sync would leave it) and taken in by
`BudgetsService.apply_entries`; then `what_if` reads the budget, its entries, allocations and
lines in one connection and replays them with the billing domain.
Run: `.venv/bin/python bench/bench_whatif.py [--entries 10000] [--runs 3]`.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from connector.billing import (
    Budget,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    Money,
    ReplenishMode,
    ReplenishSettings,
    SubtractionMode,
    SubtractionRule,
    ValuationSettings,
)
from connector.budgets import BudgetsService
from connector.budgets.whatif import load_proposal, what_if
from connector.clock import SYSTEM_CLOCK
from connector.storage import create_db_engine, upgrade
from connector.storage.tables.sync import time_entry

PROPOSAL = """
[[budget]]
id = "big"
name = "Big budget"
customer = { type = "company", id = "c-big" }
start = 2025-01-01
mode = "auto"
threshold = 5000
opening_balance = 100000
[budget.valuation]
default_rate = 110
rounding_minutes = 30
[[budget.rules]]
id = "billable"
invoiceable = true
words = ["support"]
[budget.replenish]
mode = "auto"
fixed_amount = 20000
department_id = "d1"
tax_rate_id = "t1"
"""


def _budget() -> Budget:
    return Budget(
        id="big",
        customer=CustomerRef(CustomerType.COMPANY, "c-big"),
        name="Big budget",
        unit=BudgetUnit.money("EUR"),
        start=date(2025, 1, 1),
        valuation=ValuationSettings(default_rate=Money(Decimal("90"), "EUR"), rounding_increment_seconds=900),
        mode=SubtractionMode.AUTO,
        rules=(SubtractionRule("billable", invoiceable=True),),
        threshold=Decimal("1000"),
        opening_balance=Decimal("100000"),
        replenish=ReplenishSettings(
            ReplenishMode.AUTO, fixed_amount=Decimal("20000"), department_id="d1", tax_rate_id="t1"
        ),
    )


def _entries(count: int) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    rows = []
    for n in range(count):
        day = date(2025, 1, 1) + timedelta(days=n % 600)
        rows.append(
            {
                "id": f"e{n:06d}",
                "user_id": f"u{n % 7}",
                "work_type_id": f"wt{n % 5}",
                "started_on": day,
                "started_at": datetime(day.year, day.month, day.day, 9, n % 60, tzinfo=UTC),
                "duration_seconds": 600 + (n * 37) % 7200,
                "description": "Work #support" if n % 3 else "Meeting",
                "subject_type": "company",
                "customer_type": "company",
                "customer_id": "c-big",
                "invoiceable": n % 10 != 0,
                "revision": 1,
                "raw": {},
                "content_hash": "x",
                "synced_at": now,
            }
        )
    return rows


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "whatif.db"
        engine = create_db_engine(f"sqlite:///{db}")
        upgrade(engine)
        service = BudgetsService(engine)
        with engine.begin() as conn:
            conn.execute(insert(time_entry), _entries(args.entries))
        service.create(_budget(), actor="bench")
        proposal_file = Path(tmp) / "proposal.toml"
        proposal_file.write_text(PROPOSAL, encoding="utf-8")
        engine.dispose()
        before = _digest(db)
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            with engine.connect() as conn:
                proposal = load_proposal(proposal_file, "big", service.budget("big", conn))
                result = what_if(conn, "big", proposal, now=SYSTEM_CLOCK.now())
                conn.rollback()
            timings.append(time.perf_counter() - started)
        engine.dispose()
        after = _digest(db)
    print(f"what-if over {result.replayed} entries ({len(result.changed)} would change):")
    print(f"  subtracted {result.current.subtracted} -> {result.proposed.subtracted} entries")
    made = [t for t in result.proposed.topups if t.blocked is None]
    print(
        f"  top-ups in the simulation: {len([t for t in result.current.topups if not t.blocked])} -> {len(made)}"
    )
    print(f"  time: median {statistics.median(timings):.2f} s, max {max(timings):.2f} s (target < 5 s)")
    print(f"  database file unchanged: {before == after}")


if __name__ == "__main__":
    main()
