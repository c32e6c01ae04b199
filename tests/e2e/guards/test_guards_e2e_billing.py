"""Double billing, credit reversal and rule versions against the sandbox, over real sockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from guards_e2e_support import (
    Event,
    budget_for,
    control,
    invoicing_reference,
    open_entries_by_company,
    plan_topup_now,
)
from sqlalchemy import select

from connector.budgets.files import apply_file
from connector.budgets.flagged import FlagChoice, resolve_flagged
from connector.budgets.reports import balance_rows, entry_rows
from connector.invoicing import TopupStatus
from connector.invoicing.outbox import load
from connector.storage.tables.budgets import ledger_line

pytestmark = pytest.mark.e2e


def _lines(stack: Any, budget_id: str) -> list[Any]:
    with stack.engine.connect() as conn:
        return list(
            conn.execute(
                select(ledger_line).where(ledger_line.c.budget_id == budget_id).order_by(ledger_line.c.id)
            )
        )


def _company_with_entries(sandbox: Any, at_least: int) -> tuple[str, list[dict[str, Any]]]:
    companies = open_entries_by_company(sandbox)
    company_id = max(companies, key=lambda c: len(companies[c]))
    assert len(companies[company_id]) >= at_least
    return company_id, companies[company_id]


def test_invoiced_entries_are_never_subtracted_and_later_invoices_only_flag(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox(companies=3, contacts=2, entries=120, months=3)
    stack = connect_stack(sandbox)
    company_id, entries = _company_with_entries(sandbox, 3)
    invoiced, later = entries[0]["id"], entries[1]["id"]
    control(
        sandbox, "POST", f"time-entries/{invoiced}", {"billing_info": {"type": "invoice", "invoice": None}}
    )
    stack.sync_engine().full()
    service = stack.budgets()
    service.create(budget_for("g1", company_id, opening="10000", threshold="0"), actor="e2e")
    with stack.engine.connect() as conn:
        states = {r.entry_id: r.state for r in entry_rows(conn, budget_id="g1")}
        settled = balance_rows(conn, ["g1"])[0].settled
    assert invoiced not in states
    assert states[later] == "subtracted"
    assert all(line.time_entry_id != invoiced for line in _lines(stack, "g1"))

    control(sandbox, "POST", f"time-entries/{later}", {"billing_info": {"type": "invoice", "invoice": None}})
    stack.sync_engine().full()
    with stack.engine.connect() as conn:
        flagged = entry_rows(conn, flagged=True)
        assert balance_rows(conn, ["g1"])[0].settled == settled
    assert [(r.entry_id, r.flags) for r in flagged] == [(later, ("invoiced_in_teamleader",))]
    stack.sync_engine().full()
    assert [line.kind for line in _lines(stack, "g1")].count("reversal") == 0

    resolve_flagged(stack.engine, FlagChoice.REVERSE, [later], actor="e2e:ann", now=stack.clock.now())
    reversal = [line for line in _lines(stack, "g1") if line.kind == "reversal"]
    assert [(line.time_entry_id, line.actor) for line in reversal] == [(later, "e2e:ann")]
    with stack.engine.connect() as conn:
        assert entry_rows(conn, flagged=True) == []


def test_a_credit_note_on_a_topup_invoice_reverses_its_credit_exactly_once(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox(companies=3, contacts=2, entries=20, months=2)
    stack = connect_stack(sandbox)
    stack.sync_engine().full()
    company_id = sorted(open_entries_by_company(sandbox))[0]
    service = stack.budgets()
    service.create(
        budget_for("g2", company_id, auto=False, reference=invoicing_reference(sandbox)), actor="e2e"
    )
    topup_id = plan_topup_now(stack, "g2")
    stack.topup_worker().run_once()
    with stack.engine.connect() as conn:
        credited = load(conn, topup_id)
    assert credited is not None and credited.status is TopupStatus.CREDITED
    note = control(sandbox, "POST", f"invoices/{credited.invoice_id}/credit", {})["data"]["id"]
    reconciler = stack.topup_reconciler()
    reconciler.handle_credit_note_events([Event("creditNote.booked", note)] * 2)
    reconciler.handle_credit_note_events([Event("creditNote.booked", note)])
    lines = [line for line in _lines(stack, "g2") if line.invoice_id == credited.invoice_id]
    assert sorted((line.kind, line.amount_cents) for line in lines) == [
        ("credit_reversal", -100_000),
        ("topup_credit", 100_000),
    ]
    reversal = next(line for line in lines if line.kind == "credit_reversal")
    assert str(credited.invoice_number) in reversal.reason


BUDGETS_FILE = """
[[budget]]
id = "g3"
name = "Rules over time"
customer = {{ type = "company", id = "{company}" }}
start = 2025-01-01
mode = "auto"
opening_balance = 100000
[budget.valuation]
default_rate = 100
[[budget.rules]]
id = "work"
{criteria}
"""


def test_a_rule_change_keeps_every_past_line_on_its_rule_version(
    start_sandbox: Any, connect_stack: Any, tmp_path: Path
) -> None:
    sandbox = start_sandbox(companies=3, contacts=2, entries=60, months=2)
    stack = connect_stack(sandbox)
    stack.sync_engine().full()
    company_id, _ = _company_with_entries(sandbox, 1)
    path = tmp_path / "budgets.toml"
    path.write_text(BUDGETS_FILE.format(company=company_id, criteria=""), encoding="utf-8")
    service = stack.budgets()
    apply_file(service, path, actor="e2e")
    first = {
        line.id: (line.rule_id, line.rule_version)
        for line in _lines(stack, "g3")
        if line.kind == "subtraction"
    }
    assert first and set(first.values()) == {("work", 1)}

    path.write_text(BUDGETS_FILE.format(company=company_id, criteria='words = ["urgent"]'), encoding="utf-8")
    assert [c.action for c in apply_file(service, path, actor="e2e")] == ["updated"]
    control(
        sandbox,
        "POST",
        "time-entries",
        {"description": "urgent fix", "subject": {"type": "company", "id": company_id}, "duration": 1800},
    )
    stack.sync_engine().full()
    after = {
        line.id: (line.rule_id, line.rule_version)
        for line in _lines(stack, "g3")
        if line.kind == "subtraction"
    }
    assert {k: v for k, v in after.items() if k in first} == first
    assert [v for k, v in after.items() if k not in first] == [("work", 2)]
