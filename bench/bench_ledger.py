"""Benchmark of the ledger: applying rules to 1,000,000 time entries over 1,000 budgets, and
listing every balance of 1,000 budgets (targets: under 60 s and under 100 ms).

The synced copy is written straight into `time_entry` (as the sync would leave it), then the
sync's entry point `BudgetsService.apply_entries` takes every entry id at once; four budgets in
five are in auto mode (their entries are subtracted), the fifth are manual (entries stay
pending). Listing is `balance_rows` (settled and provisional of every budget, from SQL). On
PostgreSQL the database is vacuumed and analyzed before the listing is timed, as autovacuum would
have done on a running server: without statistics the planner scans whole tables instead of
using indexes, and without the visibility map an index-only scan still reads the table.
Run: `.venv/bin/python bench/bench_ledger.py [--entries 1000000] [--budgets 1000] [--url URL]`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select, text

from connector.billing import (
    Budget,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    Money,
    SubtractionMode,
    SubtractionRule,
    ValuationSettings,
)
from connector.budgets import BudgetsService
from connector.budgets.reports import balance_rows
from connector.budgets.sharding import default_workers
from connector.storage import create_db_engine, upgrade
from connector.storage.tables.budgets import ledger_line
from connector.storage.tables.sync import time_entry

USERS = [f"u{i}" for i in range(20)]
WORK_TYPES = [f"wt{i}" for i in range(7)]


def budgets(count: int) -> list[Budget]:
    made = []
    for i in range(count):
        auto = i % 5 != 4
        made.append(
            Budget(
                id=f"b{i:04d}",
                customer=CustomerRef(CustomerType.COMPANY, f"c{i:04d}"),
                name=f"Budget {i}",
                unit=BudgetUnit.money("EUR"),
                start=date(2026, 1, 1),
                valuation=ValuationSettings(
                    default_rate=Money(Decimal("90"), "EUR"),
                    user_rates={"u1": Money(Decimal("120.50"), "EUR")},
                    work_type_rates={"wt3": Money(Decimal("75"), "EUR")},
                    rounding_increment_seconds=900,
                ),
                mode=SubtractionMode.AUTO if auto else SubtractionMode.MANUAL,
                rules=(SubtractionRule("billable", invoiceable=True),) if auto else (),
                threshold=Decimal("500"),
                opening_balance=Decimal("50000"),
            )
        )
    return made


def write_entries(service: BudgetsService, entries: int, budget_count: int) -> list[str]:
    now = datetime.now(UTC)
    ids: list[str] = []
    batch: list[dict[str, object]] = []
    with service.engine.begin() as conn:
        for n in range(entries):
            entry_id = f"e{n:07d}"
            ids.append(entry_id)
            day = date(2026, 1, 1) + timedelta(days=n % 300)
            batch.append(
                {
                    "id": entry_id,
                    "user_id": USERS[n % len(USERS)],
                    "work_type_id": WORK_TYPES[n % len(WORK_TYPES)],
                    "started_on": day,
                    "started_at": datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                    "duration_seconds": 600 + (n * 37) % 7200,
                    "description": "Work #support",
                    "subject_type": "company",
                    "customer_type": "company",
                    "customer_id": f"c{n % budget_count:04d}",
                    "invoiceable": n % 10 != 0,
                    "revision": 1,
                    "raw": {},
                    "content_hash": "x",
                    "synced_at": now,
                }
            )
            if len(batch) == 20_000:
                conn.execute(insert(time_entry), batch)
                batch = []
        if batch:
            conn.execute(insert(time_entry), batch)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--budgets", type=int, default=1000)
    parser.add_argument("--url", default=None, help="Database URL (default: a fresh SQLite file).")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="Processes for the apply (default: as `prepaid` with PREPAID_APPLY_WORKERS=0).",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = create_db_engine(url)
        upgrade(engine)
        service = BudgetsService(engine, apply_workers=args.workers)
        started = time.perf_counter()
        for b in budgets(args.budgets):
            service.create(b, actor="bench")
        print(f"created {args.budgets} budgets in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        ids = write_entries(service, args.entries, args.budgets)
        print(f"wrote {len(ids):,} synced time entries in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        report = service.apply_entries(ids)
        applied = time.perf_counter() - started
        print(
            f"apply_entries: {len(ids):,} entries over {args.budgets} budgets in {applied:.1f} s "
            f"({len(ids) / applied:,.0f} entries/s, {args.workers} processes) "
            f"outcomes={dict(report.outcomes)} (target < 60 s)"
        )
        started = time.perf_counter()
        again = service.apply_entries(ids)
        print(
            f"replay of the same {len(ids):,} entries: {time.perf_counter() - started:.1f} s, changed {again.changed}"
        )
        if engine.dialect.name == "postgresql":
            started = time.perf_counter()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE)"))
            print(
                f"VACUUM (ANALYZE) before the listing, as autovacuum would ({time.perf_counter() - started:.1f} s): "
                "planner statistics, and the visibility map that lets index-only scans skip the table"
            )
        with engine.connect() as conn:
            lines = conn.execute(select(func.count()).select_from(ledger_line)).scalar_one()
            timings = []
            for _ in range(20):
                started = time.perf_counter()
                rows = balance_rows(conn)
                timings.append(time.perf_counter() - started)
        print(
            f"balance_rows: {len(rows)} budgets over {lines:,} ledger lines: median "
            f"{statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms (target < 100 ms)"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
