"""Helpers of the guards end-to-end tests: sandbox control calls and budgets on sandbox customers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from connector.billing import (
    Budget,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    Guardrails,
    Money,
    ReplenishMode,
    ReplenishSettings,
    SubtractionMode,
    SubtractionRule,
    ValuationSettings,
)
from connector.bootstrap import Container
from connector.invoicing import plan_topup
from connector.sandbox.server import SandboxServer


@dataclass(frozen=True)
class Event:
    event_type: str
    subject_id: str


def control(sandbox: SandboxServer, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
    response = httpx.request(method, f"{sandbox.url}/_sandbox/{path}", json=body, timeout=60)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def requests_to(sandbox: SandboxServer, endpoint: str) -> int:
    return int(control(sandbox, "GET", "requests")["counts"].get(endpoint, 0))


def open_entries_by_company(sandbox: SandboxServer) -> dict[str, list[dict[str, Any]]]:
    """Each company's entries tracked directly on it and not invoiced, oldest first."""
    state = control(sandbox, "GET", "state?entries=1")
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in state["time_entries"]:
        subject = entry.get("subject") or {}
        if subject.get("type") == "company" and not entry.get("billing_info"):
            found.setdefault(subject["id"], []).append(entry)
    for entries in found.values():
        entries.sort(key=lambda e: (e["started_at"], e["id"]))
    return found


def invoicing_reference(sandbox: SandboxServer) -> dict[str, str]:
    with sandbox.state.lock:
        rate = sorted(sandbox.state.tax_rates.values(), key=lambda r: r.id)[0]
    return {"department_id": rate.department_id, "tax_rate_id": rate.id}


def budget_for(
    budget_id: str,
    company_id: str,
    *,
    auto: bool = True,
    opening: str = "100",
    threshold: str = "50",
    reference: Mapping[str, str] | None = None,
    guardrails: Guardrails | None = None,
    end: date | None = None,
) -> Budget:
    replenish = ReplenishSettings()
    if reference is not None:
        replenish = ReplenishSettings(ReplenishMode.AUTO, fixed_amount=Decimal(1000), **reference)
    return Budget(
        id=budget_id,
        customer=CustomerRef(CustomerType.COMPANY, company_id),
        name=f"Budget {budget_id}",
        unit=BudgetUnit.money("EUR"),
        start=date(2025, 1, 1),
        end=end,
        valuation=ValuationSettings(default_rate=Money.of("100", "EUR")),
        mode=SubtractionMode.AUTO if auto else SubtractionMode.MANUAL,
        rules=(SubtractionRule("all"),) if auto else (),
        threshold=Decimal(threshold),
        opening_balance=Decimal(opening),
        replenish=replenish,
        guardrails=guardrails or Guardrails(),
    )


def guarded_budget_stack(
    start_sandbox: Callable[..., SandboxServer],
    connect_stack: Callable[[SandboxServer], Container],
    budget_id: str,
    guardrails: Guardrails,
) -> tuple[SandboxServer, Container]:
    """A small sandbox, synced, with one manual budget on its first company that tops up
    automatically (EUR 1,000) under `guardrails`."""
    sandbox = start_sandbox(companies=3, contacts=2, entries=10, months=1)
    stack = connect_stack(sandbox)
    stack.sync_engine().full()
    company_id = sorted(c["id"] for c in control(sandbox, "GET", "state?entries=0")["companies"])[0]
    reference = invoicing_reference(sandbox)
    b = budget_for(budget_id, company_id, auto=False, reference=reference, guardrails=guardrails)
    stack.budgets().create(b, actor="e2e")
    return sandbox, stack


def plan_topup_now(stack: Container, budget_id: str) -> str:
    """An automatic EUR 1,000 top-up planned now, as a threshold crossing plans one."""
    with stack.engine.begin() as conn:
        topup_id = plan_topup(
            conn,
            budget_id=budget_id,
            amount_cents=100_000,
            quantity_seconds=None,
            reason="e2e",
            now=stack.clock.now(),
        )
    assert topup_id is not None
    return topup_id
