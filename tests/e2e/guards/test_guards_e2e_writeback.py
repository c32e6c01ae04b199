"""Write-back of the balances to the seeded "Prepaid balance" custom field, coalesced per customer."""

from __future__ import annotations

from typing import Any

import pytest
from guards_e2e_support import budget_for, control, open_entries_by_company, requests_to

from connector.budgets import Choice, Selection
from connector.budgets.reports import balance_rows

pytestmark = pytest.mark.e2e


def test_a_burst_of_200_changes_on_one_customer_costs_at_most_two_update_calls(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox(companies=2, contacts=1, entries=500, months=3)
    stack = connect_stack(sandbox, writeback_field="Prepaid balance")
    stack.sync_engine().full()
    companies = open_entries_by_company(sandbox)
    company_id = max(companies, key=lambda c: len(companies[c]))
    ids = [e["id"] for e in companies[company_id]][:120]
    assert len(ids) == 120
    service = stack.budgets()
    service.create(budget_for("w1", company_id, auto=False, opening="100000"), actor="e2e")
    assert stack.write_back() == 1
    assert stack.write_back() == 0
    control(sandbox, "DELETE", "requests")

    changes = [(Choice.SUBTRACT, i) for i in ids] + [(Choice.UNDO, i) for i in ids[:80]]
    assert len(changes) == 200
    for number, (choice, entry_id) in enumerate(changes, start=1):
        service.choose(choice, Selection(entry_ids=(entry_id,), budget_id="w1"), actor="e2e")
        if number == 100:
            stack.write_back()
    stack.write_back()
    stack.write_back()

    assert requests_to(sandbox, "companies.update") <= 2
    with stack.engine.connect() as conn:
        row = balance_rows(conn, ["w1"])[0]
    state = control(sandbox, "GET", "state?entries=0")
    company = next(c for c in state["companies"] if c["id"] == company_id)
    fields = {f["definition"]["id"]: f["value"] for f in company.get("custom_fields", [])}
    assert str(row.settled // 100) in " ".join(str(v) for v in fields.values())
