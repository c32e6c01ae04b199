"""Hours bundles and period overages end to end: sandbox -> sync -> budget -> ledger -> invoice.

Every expected figure is computed here from the sandbox's own records (durations, billing info),
and invoices are read back from the sandbox's state, as the invoicing e2e tests do.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from support.clock import PinnedClock
from support.sandbox_copy import seed_anchor

from connector.billing import (
    Budget,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    DeficitPolicy,
    Money,
    PeriodCadence,
    PeriodSettings,
    ReplenishMode,
    ReplenishSettings,
    SubtractionMode,
    SubtractionRule,
    ValuationSettings,
)
from connector.bootstrap import Container
from connector.budgets.invoicing_ports import LedgerCredits, StoredBudgets
from connector.budgets.periods import PeriodCloser
from connector.invoicing import TopupWorker
from connector.invoicing.teamleader_api import TeamleaderInvoices
from connector.sandbox.server import SandboxServer
from connector.storage.tables.budgets import ledger_line
from connector.storage.tables.invoicing import topup

RULE = (SubtractionRule("all"),)


def _state(sandbox: SandboxServer) -> dict[str, Any]:
    response = httpx.get(f"{sandbox.url}/_sandbox/state?entries=1", timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _customer(entry: dict[str, Any]) -> str | None:
    for relation in entry.get("relates_to") or []:
        if relation.get("type") == "company":
            return str(relation["id"])
    subject = entry.get("subject") or {}
    return str(subject["id"]) if subject.get("type") == "company" else None


def _reference(sandbox: SandboxServer) -> dict[str, str]:
    with sandbox.state.lock:
        rate = sorted(sandbox.state.tax_rates.values(), key=lambda r: r.id)[0]
    return {"department_id": rate.department_id, "tax_rate_id": rate.id}


def _marked(sandbox: SandboxServer) -> list[Any]:
    with sandbox.state.lock:
        return [
            i for i in sandbox.state.invoices.values() if (i.purchase_order_number or "").startswith("PP-")
        ]


def _worker(stack: Container) -> TopupWorker:
    return TopupWorker(
        stack.engine,
        TeamleaderInvoices(stack.teamleader()),
        StoredBudgets(),
        LedgerCredits(),
        backoff=timedelta(0),
        resend_after=timedelta(0),
        max_attempts=100,
    )


def _rounded(seconds: int) -> int:
    return -(-seconds // 900) * 900


def test_hours_bundle_subtracts_rounded_hours_and_invoices_hours_at_the_hour_price(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox(seed=3, companies=4, contacts=2, entries=240, months=3)
    stack: Container = connect_stack(sandbox)
    stack.sync_engine().full()
    state = _state(sandbox)
    entries = [e for e in state["time_entries"] if _customer(e)]
    by_company: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_company.setdefault(str(_customer(e)), []).append(e)
    prepaid = Counter(
        str(_customer(e)) for e in entries if (e.get("billing_info") or {}).get("type") == "prepaid"
    )
    company = max(by_company, key=lambda c: (prepaid[c], len(by_company[c])))
    assert prepaid[company], "the seed gives some customer entries settled by Teamleader prepaid"
    mine = by_company[company]
    eligible = [e for e in mine if not e.get("billing_info")]
    spent = sum(_rounded(int(e["duration"])) for e in eligible)
    threshold = max(Decimal("0.25"), Decimal(20) - Decimal(spent) / 3600 / 2)
    b = Budget(
        id="bundle",
        customer=CustomerRef(CustomerType.COMPANY, company),
        name="Support bundle",
        unit=BudgetUnit.hours(Money.of("85.50", "EUR")),
        start=seed_anchor(state) - timedelta(days=400),
        valuation=ValuationSettings(rounding_increment_seconds=900),
        mode=SubtractionMode.AUTO,
        rules=RULE,
        threshold=threshold,
        opening_balance=Decimal(20),
        replenish=ReplenishSettings(mode=ReplenishMode.AUTO, fixed_amount=Decimal(10), **_reference(sandbox)),
    )
    service = stack.budgets()
    service.create(b, actor="e2e")
    assert service.apply_entries([e["id"] for e in mine]).changed == 0
    with stack.engine.connect() as conn:
        subtracted = conn.execute(
            select(ledger_line.c.time_entry_id, ledger_line.c.seconds).where(
                ledger_line.c.budget_id == "bundle", ledger_line.c.kind == "subtraction"
            )
        ).all()
        planned = conn.execute(select(topup.c.kind, topup.c.quantity_seconds, topup.c.amount_cents)).all()
    assert -sum(s for _, s in subtracted) == spent
    assert {i for i, _ in subtracted} == {e["id"] for e in eligible}
    settled_in_teamleader = {e["id"] for e in mine if (e.get("billing_info") or {}).get("type") == "prepaid"}
    assert settled_in_teamleader and not settled_in_teamleader & {i for i, _ in subtracted}
    assert [tuple(p) for p in planned] == [("topup", 36000, 85500)]

    assert _worker(stack).run_once() == 1
    [invoice] = _marked(sandbox)
    [line] = invoice.grouped_lines[0]["line_items"]
    assert (line["quantity"], line["unit_price"]) == (Decimal(10), Decimal("85.50"))
    with stack.engine.connect() as conn:
        settled = conn.execute(
            select(ledger_line.c.seconds).where(ledger_line.c.budget_id == "bundle")
        ).scalars()
        assert sum(settled) == 20 * 3600 - spent + 36000


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_overage_invoices_are_created_exactly_once_under_faults(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox(seed=5, companies=12, contacts=2, entries=600, months=3)
    stack: Container = connect_stack(sandbox)
    stack.sync_engine().full()
    state = _state(sandbox)
    period_start = (seed_anchor(state).replace(day=1) - timedelta(days=1)).replace(day=1)
    period_key, period_end = f"{period_start:%Y-%m}", (period_start + timedelta(days=31)).replace(day=1)
    last_month = [e for e in state["time_entries"] if str(e["started_at"]).startswith(period_key)]
    companies = sorted({c for e in last_month if (c := _customer(e)) and not e.get("billing_info")})
    assert len(companies) >= 5
    service, reference = stack.budgets(), _reference(sandbox)
    for n, company in enumerate(companies):
        service.create(
            Budget(
                id=f"retainer-{n}",
                customer=CustomerRef(CustomerType.COMPANY, company),
                name=f"Retainer {n}",
                unit=BudgetUnit.money("EUR"),
                start=period_start,
                valuation=ValuationSettings(
                    default_rate=Money.of("100", "EUR"), rounding_increment_seconds=900
                ),
                mode=SubtractionMode.AUTO,
                rules=RULE,
                replenish=ReplenishSettings(**reference),
                periods=PeriodSettings(
                    cadence=PeriodCadence.MONTH, allowance=Decimal("1"), deficit=DeficitPolicy.OVERAGE
                ),
            ),
            actor="e2e",
        )
    closer = PeriodCloser(stack.engine, clock=PinnedClock(datetime.combine(period_end, time(1), UTC)))
    first = closer.close_due()
    assert closer.close_due().closed == []
    assert len(first.closed) == len(companies) and not first.blocked
    rules = [
        {"endpoint": endpoint, "kind": kind, "probability": 0.3}
        for endpoint in ("invoices.draft", "invoices.book")
        for kind in ("applied_500", "drop")
    ]
    httpx.post(f"{sandbox.url}/_sandbox/faults", json={"rules": rules, "seed": 3}, timeout=5)
    worker = _worker(stack)
    for _ in range(30):
        worker.run_once(limit=1000)
        with stack.engine.connect() as conn:
            statuses = set(conn.execute(select(topup.c.status)).scalars())
        if statuses == {"credited"}:
            break
    fired = httpx.get(f"{sandbox.url}/_sandbox/faults", timeout=5).json()["rules"]
    httpx.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)
    assert sum(rule["fired"] for rule in fired) >= 4, fired
    assert statuses == {"credited"}
    invoices = _marked(sandbox)
    with stack.engine.connect() as conn:
        overages = conn.execute(
            select(ledger_line.c.budget_id, ledger_line.c.amount_cents).where(ledger_line.c.kind == "overage")
        ).all()
        planned = conn.execute(select(topup.c.budget_id, topup.c.kind, topup.c.period_key)).all()
    assert len(invoices) == len(companies) == len(overages)
    assert {tuple(p) for p in planned} == {
        (f"retainer-{n}", "overage", period_key) for n in range(len(companies))
    }
    totals = sorted(
        sum(
            Decimal(str(i["quantity"])) * Decimal(str(i["unit_price"]))
            for g in inv.grouped_lines
            for i in g["line_items"]
        )
        for inv in invoices
    )
    assert totals == sorted(Decimal(c) / 100 for _, c in overages)
    assert closer.close_due().closed == []
