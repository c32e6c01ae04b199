"""Credits against the sandbox: on payment (poll and webhook handler), and reversed by a credit note.

The reconciler is the container's (`Container.topup_reconciler`: stored budgets, the ledger as
credit sink), so each credit and reversal is read back from the ledger by source key and cents,
and the budget's settled balance shows them cancelling out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from invoicing_fakes import ledger_credits

from connector.billing.budget import CreditOn
from connector.budgets.reports import balance_rows
from connector.invoicing import TopupStatus
from connector.invoicing.outbox import load

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Event:
    event_type: str
    subject_id: str


def _control(stack: Any, path: str) -> httpx.Response:
    response = httpx.post(f"{stack.sandbox.url}/_sandbox/{path}", json={}, timeout=5)
    response.raise_for_status()
    return response


def _credits(stack: Any) -> list[tuple[str, str, str, int]]:
    """(budget, kind, source key, cents) of each top-up credit and reversal, in ledger order."""
    return [
        (line["budget_id"], line["kind"], line["source_key"], line["amount_cents"])
        for line in ledger_credits(stack.container.engine)
    ]


def _settled(stack: Any) -> int:
    with stack.container.engine.connect() as conn:
        [balance] = balance_rows(conn, ["b0"])
    return balance.settled


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_credit_on_payment_then_a_removed_payment_reverses_it(topups: Any) -> None:
    stack = topups(credit_on=CreditOn.PAID)
    topup_id = stack.plan("b0")
    stack.worker().run_once()
    reconcile = stack.container.topup_reconciler()
    with stack.container.engine.connect() as conn:
        booked = load(conn, topup_id)
    assert booked is not None and booked.status is TopupStatus.BOOKED
    assert reconcile.poll_open_topups() == 0
    assert _credits(stack) == []
    _control(stack, f"invoices/{booked.invoice_id}/pay")
    assert reconcile.poll_open_topups() == 1
    assert reconcile.poll_open_topups() == 0
    credit = ("b0", "topup_credit", f"topup:{topup_id}", 150_000)
    assert _credits(stack) == [credit]
    assert _settled(stack) == 150_000
    _control(stack, f"invoices/{booked.invoice_id}/remove-payments")
    reconcile.handle_invoice_events([Event("invoice.paymentRemoved", booked.invoice_id)] * 2)
    assert _credits(stack) == [credit, ("b0", "credit_reversal", f"topup-rev:{topup_id}", -150_000)]
    assert _settled(stack) == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_credit_note_on_the_topup_invoice_reverses_its_credit_once(topups: Any) -> None:
    stack = topups()
    topup_id = stack.plan("b0")
    stack.worker().run_once()
    with stack.container.engine.connect() as conn:
        credited = load(conn, topup_id)
    assert credited is not None and credited.status is TopupStatus.CREDITED
    note_id = _control(stack, f"invoices/{credited.invoice_id}/credit").json()["data"]["id"]
    reconcile = stack.container.topup_reconciler()
    reconcile.handle_credit_note_events([Event("creditNote.booked", note_id)] * 3)
    reconcile.handle_credit_note_events([Event("creditNote.booked", note_id)])
    assert _credits(stack) == [
        ("b0", "topup_credit", f"topup:{topup_id}", 150_000),
        ("b0", "credit_reversal", f"topup-rev:{topup_id}", -150_000),
    ]
    reversal = ledger_credits(stack.container.engine)[-1]
    assert reversal["invoice_id"] == credited.invoice_id
    assert reversal["reason"].endswith(f"booked on invoice {credited.invoice_number}")
    assert _settled(stack) == 0
