"""Top-up invoices against the sandbox on real sockets: the right invoice, exactly once, under faults."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from invoicing_fakes import credit_lines

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
    budget = stack.budgets.budgets["b0"]
    assert invoice.customer == ("company", budget.customer.id)
    assert invoice.department_id == stack.reference["department_id"]
    assert invoice.status == "outstanding" and invoice.invoice_number
    assert invoice.currency == "EUR"
    assert invoice.payment_term == {"type": "after_invoice_date", "days": 30}
    [group] = invoice.grouped_lines
    [line] = group["line_items"]
    assert line["tax_rate_id"] == stack.reference["tax_rate_id"]
    assert (line["quantity"], line["unit_price"]) == (Decimal(1), Decimal("1500.00"))
    assert line["description"] == f"Top-up of Support b0 for Customer {budget.customer.id}: EUR 1,500.00"
    [credit] = credit_lines(stack.container.engine)
    assert (credit["source_key"], credit["amount_cents"]) == (f"topup:{topup_id}", 150_000)
    assert credit["invoice_number"] == invoice.invoice_number


def test_without_booking_the_invoice_stays_a_draft_and_nothing_is_credited(topups: Any) -> None:
    stack = topups(book=False)
    topup_id = stack.plan("b0")
    stack.worker().run_once()
    [invoice] = stack.marked_invoices()
    assert invoice.status == "draft"
    with stack.container.engine.connect() as conn:
        [row] = list_topups(conn)
    assert (row.id, row.status) == (topup_id, TopupStatus.DRAFTED)
    assert credit_lines(stack.container.engine) == []


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
    credits = credit_lines(stack.container.engine)
    assert len(credits) == COUNT
    assert sorted(c["amount_cents"] for c in credits) == [10_000 + index for index in range(COUNT)]
    with stack.container.engine.connect() as conn:
        assert {row.status for row in list_topups(conn)} == {TopupStatus.CREDITED}
