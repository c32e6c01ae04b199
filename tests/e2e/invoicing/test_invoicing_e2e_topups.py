"""Top-up invoices against the sandbox on real sockets: the right invoice, exactly once, under faults."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from invoicing_fakes import ledger_credits

from connector.budgets.reports import balance_rows
from connector.invoicing import TopupStatus
from connector.invoicing.outbox import list_topups

pytestmark = pytest.mark.e2e
COUNT = 100
INJECTED_LATENCY = 0.15  # longer than the 0.1 s read timeout the stack gives invoice writes


def test_a_planned_topup_creates_one_booked_invoice_with_the_right_content(topups: Any) -> None:
    stack = topups()
    topup_id = stack.plan("b0", cents=150_000)
    assert stack.worker().run_once() == 1
    [invoice] = stack.marked_invoices()
    budget = stack.budgets["b0"]
    assert invoice.customer == ("company", budget.customer.id)
    assert invoice.department_id == stack.reference["department_id"]
    assert invoice.status == "outstanding" and invoice.invoice_number
    assert invoice.currency == "EUR"
    assert invoice.payment_term == {"type": "after_invoice_date", "days": 30}
    [group] = invoice.grouped_lines
    [line] = group["line_items"]
    assert line["tax_rate_id"] == stack.reference["tax_rate_id"]
    assert (line["quantity"], line["unit_price"]) == (Decimal(1), Decimal("1500.00"))
    customer = stack.customer_names[budget.customer.id]
    assert line["description"] == f"Top-up of Support b0 for {customer}: EUR 1,500.00"
    [credit] = ledger_credits(stack.container.engine)
    assert {key: credit[key] for key in ("budget_id", "kind", "source_key", "invoice_id", "reason")} == {
        "budget_id": "b0",
        "kind": "topup_credit",
        "source_key": f"topup:{topup_id}",
        "invoice_id": invoice.id,
        "reason": f"top-up invoice {invoice.invoice_number}",
    }
    assert (credit["amount_cents"], credit["seconds"]) == (150_000, 0)
    with stack.container.engine.connect() as conn:
        [balance] = balance_rows(conn, ["b0"])
    assert (balance.settled, balance.format(balance.settled)) == (150_000, "EUR 1,500.00")


def test_without_booking_the_invoice_stays_a_draft_and_nothing_is_credited(topups: Any) -> None:
    stack = topups(book=False)
    topup_id = stack.plan("b0")
    stack.worker().run_once()
    [invoice] = stack.marked_invoices()
    assert invoice.status == "draft"
    with stack.container.engine.connect() as conn:
        [row] = list_topups(conn)
    assert (row.id, row.status) == (topup_id, TopupStatus.DRAFTED)
    assert ledger_credits(stack.container.engine) == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_under_faults_on_draft_and_book_100_topups_give_100_invoices_and_100_credits(topups: Any) -> None:
    stack = topups(budgets=COUNT)
    for index in range(COUNT):
        stack.plan(f"b{index}", cents=10_000 + index)
    rules = [
        {"endpoint": endpoint, "kind": kind, "probability": 0.2, **extra}
        for endpoint in ("invoices.draft", "invoices.book")
        for kind, extra in (("applied_500", {}), ("drop", {}), ("latency", {"latency": INJECTED_LATENCY}))
    ]
    stack.faults(*rules)
    worker = stack.worker()
    for _ in range(20):
        worker.run_once(limit=10_000)
        with stack.container.engine.connect() as conn:
            if all(row.status is TopupStatus.CREDITED for row in list_topups(conn)):
                break
    fired = stack.fired()
    stack.clear_faults()
    assert len(fired) == 6 and min(fired.values()) >= 10, fired
    invoices = stack.marked_invoices()
    assert len(invoices) == COUNT
    assert len({invoice.purchase_order_number for invoice in invoices}) == COUNT
    assert all(invoice.status == "outstanding" for invoice in invoices)
    credited = sorted(
        (c["budget_id"], c["kind"], c["source_key"], c["amount_cents"])
        for c in ledger_credits(stack.container.engine)
    )
    with stack.container.engine.connect() as conn:
        topups_made = list_topups(conn)
        settled = {row.budget_id: row.settled for row in balance_rows(conn)}
    assert {row.status for row in topups_made} == {TopupStatus.CREDITED}
    expected = sorted(
        (row.budget_id, "topup_credit", f"topup:{row.id}", 10_000 + int(row.budget_id[1:]))
        for row in topups_made
    )
    assert len(credited) == COUNT and credited == expected
    assert settled == {f"b{index}": 10_000 + index for index in range(COUNT)}
