"""Comparing the product's local copy with the sandbox's own state (shared by the e2e tests)."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, select

from connector.sandbox.server import SandboxServer
from connector.storage.tables.sync import company, contact, time_entry, tl_user, work_type


def control(sandbox: SandboxServer, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
    response = httpx.request(method, f"{sandbox.url}/_sandbox/{path}", json=body, timeout=60)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def expected_customers(state: Mapping[str, Any]) -> dict[str, tuple[str, str] | None]:
    """The customer of every entry, computed from the sandbox's own records (not from the sync)."""
    projects = {p["id"]: p for p in state["projects"]}
    owner: dict[tuple[str, str], tuple[str, str] | None] = {}
    for project in state["projects"]:
        customer = project.get("customer")
        owner[("project", project["id"])] = (customer["type"], customer["id"]) if customer else None
    for milestone in state["milestones"]:
        owner[("milestone", milestone["id"])] = owner.get(
            ("project", projects[milestone["project"]["id"]]["id"])
        )
    for kind, rows in (("ticket", state["tickets"]), ("todo", state["todos"])):
        for row in rows:
            customer = row.get("customer")
            owner[(kind, row["id"])] = (customer["type"], customer["id"]) if customer else None
    result: dict[str, tuple[str, str] | None] = {}
    for entry in state["time_entries"]:
        subject = entry.get("subject")
        if subject and subject["type"] in ("company", "contact"):
            result[entry["id"]] = (subject["type"], subject["id"])
        else:
            result[entry["id"]] = owner.get((subject["type"], subject["id"])) if subject else None
    return result


def local_entries(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {r.id: r for r in conn.execute(select(time_entry).where(time_entry.c.deleted_at.is_(None)))}


def assert_copy_equals_sandbox(engine: Engine, sandbox: SandboxServer) -> None:
    state = control(sandbox, "GET", "state?entries=1")
    customers = expected_customers(state)
    local = local_entries(engine)
    assert set(local) == {e["id"] for e in state["time_entries"]}
    for entry in state["time_entries"]:
        row = local[entry["id"]]
        assert row.started_on == date.fromisoformat(entry["started_on"])
        assert row.duration_seconds == entry["duration"]
        assert row.description == entry["description"]
        assert row.user_id == entry["user"]["id"]
        assert row.work_type_id == (entry["work_type"] or {}).get("id")
        assert (row.subject_type, row.subject_id) == (
            (entry["subject"] or {}).get("type"),
            (entry["subject"] or {}).get("id"),
        )
        assert row.invoiceable == entry["invoiceable"]
        billing = entry.get("billing_info") or {}
        assert row.billing_type == billing.get("type")
        rate = entry.get("hourly_rate")
        assert row.hourly_rate_cents == (int(Decimal(str(rate["amount"])) * 100) if rate else None)
        assert ((row.customer_type, row.customer_id) if row.customer_id else None) == customers[entry["id"]]
    with engine.connect() as conn:
        companies = {r.id: r for r in conn.execute(select(company).where(company.c.deleted_at.is_(None)))}
        contacts = {r.id: r for r in conn.execute(select(contact).where(contact.c.deleted_at.is_(None)))}
        users = {r.id: r for r in conn.execute(select(tl_user))}
        work_types = {r.id: r.name for r in conn.execute(select(work_type))}
    assert {c["id"]: (c["name"], c.get("vat_number")) for c in state["companies"]} == {
        k: (v.name, v.vat_number) for k, v in companies.items()
    }
    assert {c["id"]: (c["first_name"], c["last_name"]) for c in state["contacts"]} == {
        k: (v.first_name, v.last_name) for k, v in contacts.items()
    }
    assert {u["id"]: u["email"] for u in state["users"]} == {k: v.email for k, v in users.items()}
    assert {w["id"]: w["name"] for w in state["work_types"]} == work_types


def minimum_calls(state: Mapping[str, Any]) -> int:
    rows = {
        "users.list": len(state["users"]),
        "workTypes.list": len(state["work_types"]),
        "departments.list": 1,
        "taxRates.list": len(state["tax_rates"]),
        "companies.list": len(state["companies"]),
        "contacts.list": len(state["contacts"]),
        "timeTracking.list": state["entry_count"],
    }
    return sum(max(1, math.ceil(n / 100)) for n in rows.values())


def api_calls(sandbox: SandboxServer) -> int:
    counts = control(sandbox, "GET", "requests")["counts"]
    return sum(
        n
        for endpoint, n in counts.items()
        if not endpoint.startswith("oauth2") and endpoint != "rate_limited"
    )


def seed_anchor(state: Mapping[str, Any]) -> date:
    """The sandbox's anchor (its last day of tracked time), from its state dump: the day e2e tests
    count from, so they hold on any date the process clock shows."""
    return date.fromisoformat(state["seed"]["anchor"])


def random_changes(sandbox: SandboxServer, rng: random.Random, count: int) -> None:
    """`count` edits, `count` deletions of recent entries and `count` new entries, made in the sandbox."""
    state = control(sandbox, "GET", "state?entries=1")
    anchor = seed_anchor(state)
    recent = [
        e for e in state["time_entries"] if date.fromisoformat(e["started_on"]) > anchor - timedelta(days=50)
    ]
    rng.shuffle(recent)
    for entry in recent[:count]:
        control(
            sandbox,
            "POST",
            f"time-entries/{entry['id']}",
            {"duration": entry["duration"] + 900, "description": f"edited {entry['id'][:6]}"},
        )
    for entry in recent[count : 2 * count]:
        control(sandbox, "DELETE", f"time-entries/{entry['id']}")
    company_ids = [c["id"] for c in state["companies"]]
    for index in range(count):
        started = datetime.combine(anchor - timedelta(days=2), time(9), UTC) + timedelta(minutes=index)
        control(
            sandbox,
            "POST",
            "time-entries",
            {
                "user_id": state["users"][0]["id"],
                "started_at": started.isoformat(),
                "duration": 3600,
                "description": f"new work {index}",
                "subject": {"type": "company", "id": rng.choice(company_ids)},
                "invoiceable": True,
            },
        )


AUTO_TOPUP_BUDGET = """
[[budget]]
id = "{id}"
name = "{name}"
customer = {{ type = "company", id = "{company}" }}
currency = "EUR"
start = {start}
mode = "auto"
threshold = {threshold}
opening_balance = {opening}
[budget.valuation]
default_rate = 100.00
rounding_minutes = 15
[[budget.rules]]
id = "invoiceable"
invoiceable = true
[budget.replenish]
mode = "auto"
fixed_amount = {topup}
department_id = "{department}"
tax_rate_id = "{tax_rate}"
payment_term_days = 14
line_text = "Top-up of {{budget}}"
book = true
credit_on = "booked"
"""


def auto_topup_budgets(
    sandbox: SandboxServer, count: int, *, threshold: str, opening: str, topup: str
) -> str:
    """A budgets file: `count` auto-replenishing budgets on the sandbox's first companies (21 % VAT)."""
    state = control(sandbox, "GET", "state?entries=0")
    start = seed_anchor(state) + timedelta(days=1)
    rate = next(r for r in state["tax_rates"] if str(r["rate"]) in ("0.21", "0.2100"))
    return "".join(
        AUTO_TOPUP_BUDGET.format(
            id=f"b{n}",
            start=start.isoformat(),
            name=f"Retainer {n}",
            company=company["id"],
            threshold=threshold,
            opening=opening,
            topup=topup,
            department=rate["department_id"],
            tax_rate=rate["id"],
        )
        for n, company in enumerate(state["companies"][:count])
    )
