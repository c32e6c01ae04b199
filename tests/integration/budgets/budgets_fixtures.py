"""Helpers for the budgets tests: synced time entries written as the sync writes them, budgets, a clock.

The budgets and guards tests stand at `NOW` (a Tuesday in March 2026): their services run on
`PinnedClock(NOW)` and every date written here (the budget's start, an entry's day) is set
around it, so no test depends on the day it runs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

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
from connector.storage.tables.budgets import ledger_line
from connector.storage.tables.invoicing import topup
from connector.storage.tables.sync import company, time_entry

ACME = CustomerRef(CustomerType.COMPANY, "c-acme")
GLOBEX = CustomerRef(CustomerType.COMPANY, "c-globex")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
"""Where the budgets tests pin the clock: `PinnedClock(NOW)`."""


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def make_budget(**changes: Any) -> Budget:
    base = Budget(
        id="b1",
        customer=ACME,
        name="Acme support 2026",
        unit=BudgetUnit.money("EUR"),
        start=date(2026, 1, 1),
        valuation=ValuationSettings(default_rate=eur("90"), rounding_increment_seconds=900),
        threshold=Decimal("500"),
        opening_balance=Decimal("2000"),
    )
    return replace(base, **changes)


def auto_budget(**changes: Any) -> Budget:
    rules = (SubtractionRule("billable", invoiceable=True),)
    return make_budget(mode=SubtractionMode.AUTO, rules=rules, **changes)


def add_company(engine: Engine, company_id: str, name: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(company).values(id=company_id, name=name, raw={}, content_hash="x", synced_at=NOW)
        )


def put_entry(
    engine: Engine,
    entry_id: str,
    *,
    customer: CustomerRef | None = ACME,
    day: date = date(2026, 3, 2),
    seconds: int = 3600,
    user_id: str = "u-ann",
    work_type_id: str | None = "wt-dev",
    description: str = "Fix login #support",
    invoiceable: bool = True,
    billing_type: str | None = None,
    invoice_id: str | None = None,
    rate_cents: int | None = None,
    deleted: bool = False,
    started_at: datetime | None = None,
) -> None:
    """Insert or change a synced entry; a change grows its revision, as the sync writer does.
    `started_at` defaults to 09:00 UTC on `day`; `invoice_id` is Teamleader's `billing_info` invoice;
    the row is synced (and, when `deleted`, deleted) at `NOW`."""
    values: dict[str, Any] = {
        "user_id": user_id,
        "work_type_id": work_type_id,
        "started_on": day,
        "started_at": started_at or datetime.combine(day, time(9), UTC),
        "duration_seconds": seconds,
        "description": description,
        "subject_type": "company",
        "customer_type": customer.type.value if customer else None,
        "customer_id": customer.id if customer else None,
        "invoiceable": invoiceable,
        "billing_type": billing_type,
        "billing_invoice_id": invoice_id,
        "hourly_rate_cents": rate_cents,
        "hourly_rate_currency": "EUR" if rate_cents is not None else None,
        "deleted_at": NOW if deleted else None,
        "raw": {},
        "content_hash": "x",
        "synced_at": NOW,
    }
    with engine.begin() as conn:
        exists = conn.execute(select(time_entry.c.id).where(time_entry.c.id == entry_id)).first()
        if exists is None:
            conn.execute(insert(time_entry).values(id=entry_id, revision=1, **values))
        else:
            conn.execute(
                update(time_entry)
                .where(time_entry.c.id == entry_id)
                .values(revision=time_entry.c.revision + 1, **values)
            )


def put_topup(engine: Engine, topup_id: str, status: str, *, at: datetime = NOW, **values: Any) -> None:
    """A top-up of EUR 1,000 for b1 in the outbox, created and last changed `at`; `values` override
    or add columns (`last_error`, `attempts`, ...)."""
    row: dict[str, Any] = {
        "id": topup_id,
        "budget_id": "b1",
        "kind": "topup",
        "status": status,
        "reason": "balance below threshold",
        "amount_cents": 100000,
        "marker": f"PP-{topup_id}",
        "attempts": 1,
        "created_at": at,
        "updated_at": at,
    }
    with engine.begin() as conn:
        conn.execute(insert(topup).values({**row, **values}))


def line_sum(engine: Engine, budget_id: str, *kinds: str) -> int:
    query = select(func.coalesce(func.sum(ledger_line.c.amount_cents), 0)).where(
        ledger_line.c.budget_id == budget_id
    )
    if kinds:
        query = query.where(ledger_line.c.kind.in_(kinds))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
