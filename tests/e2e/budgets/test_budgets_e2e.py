"""Sandbox -> full sync -> `budgets apply config/budgets.example.toml` -> rules subtract -> balances,
over real sockets, with every expected figure computed here from the sandbox's own records."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from connector.bootstrap import Container
from connector.budgets.files import apply_file
from connector.budgets.reports import balance_rows, entry_rows
from connector.sandbox.server import SandboxServer
from connector.storage.tables.invoicing import topup
from connector.storage.tables.sync import time_entry

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "budgets.example.toml"


def control(sandbox: SandboxServer, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
    response = httpx.request(method, f"{sandbox.url}/_sandbox/{path}", json=body, timeout=60)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def rounded(seconds: int, increment: int, minimum: int) -> int:
    value = -(-seconds // increment) * increment
    return max(value, minimum) if seconds > 0 else value


def cents(rate_cents: int, seconds: int) -> int:
    """Half-up cents of rate x seconds / 3600, in integers."""
    return (2 * rate_cents * seconds + 3600) // 7200


def customer_entries(stack: Container, customer_id: str) -> set[str]:
    with stack.engine.connect() as conn:
        return set(
            conn.execute(select(time_entry.c.id).where(time_entry.c.customer_id == customer_id)).scalars()
        )


def test_example_budgets_subtract_by_rules_after_a_full_sync(start_sandbox: Any, connect_stack: Any) -> None:
    sandbox = start_sandbox(seed=1, companies=40, contacts=60, entries=2000, months=6)
    stack: Container = connect_stack(sandbox)
    stack.sync_engine().full()
    service = stack.budgets()
    changes = apply_file(service, EXAMPLE, actor="e2e")
    assert [c.action for c in changes] == ["created"] * 4
    assert {c.action for c in apply_file(service, EXAMPLE, actor="e2e")} == {"unchanged"}

    state = control(sandbox, "GET", "state?entries=1")
    by_id = {e["id"]: e for e in state["time_entries"]}
    company = {c["name"]: c["id"] for c in state["companies"]}
    with stack.engine.connect() as conn:
        balances = {r.budget_id: r for r in balance_rows(conn)}
        states = {(r.budget_id, r.entry_id): r.state for r in entry_rows(conn)}

    support = customer_entries(stack, company["Ironflorist Logistics"])
    billable = [by_id[i] for i in support if by_id[i]["invoiceable"] and not by_id[i].get("billing_info")]
    spent = sum(cents(9500, rounded(e["duration"], 900, 900)) for e in billable)
    assert billable and balances["ironflorist-support-2026"].settled == 1050000 - spent
    assert {states[("ironflorist-support-2026", e["id"])] for e in billable} == {"subtracted"}
    with stack.engine.connect() as conn:
        planned = conn.execute(select(topup).where(topup.c.budget_id == "ironflorist-support-2026")).all()
    assert [(t.status, t.amount_cents) for t in planned] == [("planned", 250000)]

    bundle = customer_entries(stack, "f845aed9-513d-41a6-a9d4-0f2b106ee2ab")
    open_entries = [by_id[i] for i in bundle if not by_id[i].get("billing_info")]
    hours = balances["sunnyyoga-hours"]
    assert hours.settled == 40 * 3600
    assert hours.provisional == 40 * 3600 - sum(rounded(e["duration"], 900, 0) for e in open_entries)
    assert {states[("sunnyyoga-hours", e["id"])] for e in open_entries} == {"pending"}

    again = service.apply_entries(list(by_id))
    assert again.changed == 0
    entry = billable[0]
    control(sandbox, "POST", f"time-entries/{entry['id']}", {"duration": entry["duration"] + 3600})
    stack.sync_engine().full()
    with stack.engine.connect() as conn:
        after = {r.budget_id: r for r in balance_rows(conn)}["ironflorist-support-2026"]
    extra = cents(9500, rounded(entry["duration"] + 3600, 900, 900)) - cents(
        9500, rounded(entry["duration"], 900, 900)
    )
    assert after.settled == 1050000 - spent - extra
