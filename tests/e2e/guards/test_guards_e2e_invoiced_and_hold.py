"""Against the sandbox, over real sockets: an entry Teamleader invoiced is listed read-only with its
invoice after a sync, and the budget's views say why automatic top-ups are paused until the
retry they advise goes through."""

from __future__ import annotations

from typing import Any

import pytest
from guards_e2e_support import (
    budget_for,
    control,
    guarded_budget_stack,
    open_entries_by_company,
    plan_topup_now,
)

from connector.billing import ChoiceRefused, Guardrails
from connector.budgets import Choice, Selection
from connector.budgets.invoiced import listed_entries
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.invoicing import TopupStatus
from connector.invoicing.operator import TopupOperator
from connector.invoicing.outbox import load

pytestmark = pytest.mark.e2e


def test_an_entry_teamleader_invoiced_is_listed_with_its_invoice(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox(companies=3, contacts=2, entries=120, months=3)
    stack = connect_stack(sandbox)
    companies = open_entries_by_company(sandbox)
    company_id = max(companies, key=lambda c: len(companies[c]))
    invoiced, later = companies[company_id][0]["id"], companies[company_id][1]["id"]
    billed = {"billing_info": {"type": "invoice", "invoice": {"type": "invoice", "id": "inv-e2e-1"}}}
    control(sandbox, "POST", f"time-entries/{invoiced}", billed)
    stack.sync_engine().full()
    service = stack.budgets()
    service.create(budget_for("g1", company_id, opening="10000", threshold="0"), actor="e2e")

    with stack.engine.connect() as conn:
        rows = {r.entry_id: r for r in listed_entries(conn, budget_id="g1")}
    assert (rows[invoiced].state, rows[invoiced].note) == (
        "invoiced",
        "invoiced in Teamleader (invoice inv-e2e-1)",
    )
    assert rows[later].state == "subtracted"
    with pytest.raises(ChoiceRefused, match="invoice inv-e2e-1"):
        service.choose(Choice.SUBTRACT, Selection((invoiced,)), actor="e2e:ann")

    control(sandbox, "POST", f"time-entries/{later}", billed)
    stack.sync_engine().full()
    with stack.engine.connect() as conn:
        states = [
            (r.entry_id, r.state, r.flags)
            for r in listed_entries(conn, budget_id="g1")
            if r.entry_id == later
        ]
    assert states == [(later, "subtracted", ("invoiced_in_teamleader",))]


def test_the_budget_says_top_ups_are_paused_until_the_advised_retry(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox, stack = guarded_budget_stack(
        start_sandbox, connect_stack, "paused", Guardrails(pause_after_failures=2)
    )
    adapter = BudgetsWebAdapter(stack.budgets())
    assert adapter.budget_page("paused").topup_hold is None
    control(sandbox, "POST", "faults", {"endpoint": "invoices.draft", "kind": "status", "status": 400})
    failed = []
    for _ in range(2):
        topup_id = plan_topup_now(stack, "paused")
        failed.append(topup_id)
        stack.topup_worker().run_once()

    hold = adapter.budget_page("paused").topup_hold
    assert hold is not None and hold.code == "paused"
    with stack.engine.connect() as conn:
        latest = load(conn, failed[-1])
    assert latest is not None and latest.status is TopupStatus.FAILED and latest.last_error
    assert f"the latest, {failed[-1]}, failed with: {latest.last_error}" in hold.detail
    assert f"`prepaid topups retry {failed[-1]}`" in hold.detail

    control(sandbox, "DELETE", "faults")
    TopupOperator(stack.engine).retry(failed[-1])
    stack.topup_worker().run_once()
    with stack.engine.connect() as conn:
        retried = load(conn, failed[-1])
    assert retried is not None and retried.status is TopupStatus.CREDITED
    assert adapter.budget_page("paused").topup_hold is None
