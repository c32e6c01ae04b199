"""A large apply shared by several processes ends exactly where one process would have ended."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from budgets_fixtures import NOW, auto_budget, make_budget
from sqlalchemy import Engine, delete, insert, select
from support.clock import PinnedClock

from connector.billing import CustomerRef, CustomerType
from connector.budgets import BudgetsService, applying
from connector.budgets.reports import balance_rows
from connector.storage import create_db_engine
from connector.storage.tables.budgets import entry_allocation, ledger_checkpoint, ledger_line
from connector.storage.tables.sync import time_entry

CUSTOMERS = 24
ENTRIES = 2_400


@pytest.fixture
def engine(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Small batches and a low bar for sharing, so a test-sized apply takes the parallel path."""
    monkeypatch.setattr(applying, "BATCH", 100)
    monkeypatch.setattr(applying, "PARALLEL_FROM", 1_000)
    made = create_db_engine(db_url)
    yield made
    made.dispose()


def _customer(n: int) -> CustomerRef:
    return CustomerRef(CustomerType.COMPANY, f"c{n:02d}")


def _seed(engine: Engine, service: BudgetsService) -> list[str]:
    for n in range(CUSTOMERS - 4):  # the last four customers have no budget
        shape = auto_budget if n % 4 else make_budget
        service.create(
            shape(
                id=f"b{n:02d}", customer=_customer(n), name=f"Budget {n}", opening_balance=Decimal(900 + n)
            ),
            actor="test",
        )
    rows: list[dict[str, Any]] = []
    for i in range(ENTRIES):
        day = date(2026, 1, 5) + timedelta(days=i % 60)
        customer = _customer(i % CUSTOMERS) if i % 97 else None
        rows.append(
            {
                "id": f"e{i:05d}",
                "user_id": f"u{i % 5}",
                "work_type_id": f"wt{i % 3}",
                "started_on": day,
                "started_at": datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                "duration_seconds": 300 + (i * 131) % 5400,
                "description": "Work #support",
                "subject_type": "company",
                "customer_type": customer.type.value if customer else None,
                "customer_id": customer.id if customer else None,
                "invoiceable": i % 7 != 0,
                "hourly_rate_cents": 8000 if i % 11 == 0 else None,
                "hourly_rate_currency": "EUR" if i % 11 == 0 else None,
                "revision": 1,
                "raw": {},
                "content_hash": "x",
                "synced_at": NOW,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(time_entry), rows)
    return [str(row["id"]) for row in rows]


def _state(engine: Engine) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]], dict[str, Any]]:
    with engine.connect() as conn:
        allocations = {
            tuple(row)
            for row in conn.execute(
                select(
                    entry_allocation.c.budget_id,
                    entry_allocation.c.time_entry_id,
                    entry_allocation.c.state,
                    entry_allocation.c.version,
                    entry_allocation.c.amount_cents,
                    entry_allocation.c.pending_cents,
                    entry_allocation.c.rule_id,
                )
            )
        }
        lines = {
            tuple(row)
            for row in conn.execute(
                select(
                    ledger_line.c.budget_id,
                    ledger_line.c.kind,
                    ledger_line.c.amount_cents,
                    ledger_line.c.seconds,
                    ledger_line.c.source_key,
                    ledger_line.c.rate_cents,
                    ledger_line.c.reason,
                )
            )
        }
        balances = {row.budget_id: (row.settled, row.provisional) for row in balance_rows(conn)}
    return allocations, lines, balances


def test_a_shared_apply_equals_a_single_process_apply(engine: Engine) -> None:
    shared = BudgetsService(engine, clock=PinnedClock(NOW), apply_workers=2)
    ids = _seed(engine, shared)

    report = shared.apply_entries(ids)

    assert report.processes == 2
    assert report.conflicts == []
    after_shared = _state(engine)
    assert len(after_shared[0]) > 1_500 and len(after_shared[1]) > 1_000
    crossed = sorted(c.budget.id for c in report.crossings)
    assert crossed, "the opening balances are low enough for some budgets to cross their threshold"

    with engine.begin() as conn:
        conn.execute(delete(ledger_checkpoint))
        conn.execute(delete(ledger_line).where(ledger_line.c.kind != "opening"))
        conn.execute(delete(entry_allocation))
    alone = BudgetsService(engine, clock=PinnedClock(NOW), apply_workers=1).apply_entries(ids)

    assert alone.processes == 1
    assert alone.outcomes == report.outcomes
    assert sorted(c.budget.id for c in alone.crossings) == crossed
    assert _state(engine) == after_shared


def test_replaying_a_shared_apply_changes_nothing(engine: Engine) -> None:
    service = BudgetsService(engine, clock=PinnedClock(NOW), apply_workers=2)
    ids = _seed(engine, service)
    service.apply_entries(ids)
    before = _state(engine)

    again = service.apply_entries(list(reversed(ids)))

    assert again.processes == 2
    assert again.changed == 0
    assert _state(engine) == before
