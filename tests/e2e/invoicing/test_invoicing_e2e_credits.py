"""Credits against the sandbox: on payment (poll and webhook handler), and reversed by a credit note."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from invoicing_fakes import credit_lines

from connector.billing.budget import CreditOn
from connector.invoicing import TopupReconciler, TopupStatus
from connector.invoicing.outbox import load
from connector.invoicing.teamleader_api import TeamleaderInvoices

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Event:
    event_type: str
    subject_id: str


def _reconciler(stack: Any) -> TopupReconciler:
    return TopupReconciler(
        stack.container.engine, TeamleaderInvoices(stack.client), stack.budgets, stack.sink
    )


def _control(stack: Any, path: str) -> httpx.Response:
    response = httpx.post(f"{stack.sandbox.url}/_sandbox/{path}", json={}, timeout=5)
    response.raise_for_status()
    return response


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_credit_on_payment_then_a_removed_payment_reverses_it(topups: Any) -> None:
    stack = topups(credit_on=CreditOn.PAID)
    topup_id = stack.plan("b0")
    stack.worker().run_once()
    reconcile = _reconciler(stack)
    with stack.container.engine.connect() as conn:
        booked = load(conn, topup_id)
    assert booked is not None and booked.status is TopupStatus.BOOKED
    assert reconcile.poll_open_topups() == 0
    _control(stack, f"invoices/{booked.invoice_id}/pay")
    assert reconcile.poll_open_topups() == 1
    assert reconcile.poll_open_topups() == 0
    _control(stack, f"invoices/{booked.invoice_id}/remove-payments")
    reconcile.handle_invoice_events([Event("invoice.paymentRemoved", booked.invoice_id)] * 2)
    amounts = sorted(line["amount_cents"] for line in credit_lines(stack.container.engine))
    assert amounts == [-150_000, 150_000]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_credit_note_on_the_topup_invoice_reverses_its_credit_once(topups: Any) -> None:
    stack = topups()
    topup_id = stack.plan("b0")
    stack.worker().run_once()
    with stack.container.engine.connect() as conn:
        credited = load(conn, topup_id)
    assert credited is not None and credited.status is TopupStatus.CREDITED
    note_id = _control(stack, f"invoices/{credited.invoice_id}/credit").json()["data"]["id"]
    reconcile = _reconciler(stack)
    reconcile.handle_credit_note_events([Event("creditNote.booked", note_id)] * 3)
    reconcile.handle_credit_note_events([Event("creditNote.booked", note_id)])
    lines = credit_lines(stack.container.engine)
    assert sorted(line["amount_cents"] for line in lines) == [-150_000, 150_000]
    reversal = next(line for line in lines if line["amount_cents"] < 0)
    assert reversal["reason"].endswith(f"booked on invoice {credited.invoice_number}")
