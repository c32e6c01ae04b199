"""After the worker lets go: booking by a person, payment, deletion, credit notes; and the guardrails."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from invoicing_fakes import FakeInvoices, ledger_credits, make_budget, store_budgets
from sqlalchemy import Engine
from support.clock import PINNED_AT, PinnedClock

from connector.billing.budget import CreditOn, Guardrails, ReplenishMode
from connector.billing.threshold import TopUpBlocked
from connector.budgets.invoicing_ports import LedgerCredits, StoredBudgets
from connector.budgets.reports import balance_rows
from connector.invoicing import Notifier, TopupReconciler, TopupStatus, TopupWorker, plan_topup
from connector.invoicing.outbox import load


@dataclass(frozen=True)
class Event:
    event_type: str
    subject_type: str
    subject_id: str
    id: int = 1


class Notes:
    """A notification webhook that keeps what it receives."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.notifier = Notifier(
            "https://hooks.example.test/T0/B0", transport=httpx.MockTransport(self._receive)
        )

    def _receive(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(json.loads(request.content))
        return httpx.Response(200, text="ok")


@pytest.fixture
def api() -> FakeInvoices:
    return FakeInvoices()


def build(
    db: Engine, api: FakeInvoices, clock: PinnedClock, budget: Any
) -> tuple[TopupWorker, TopupReconciler, Any]:
    """The budget stored, and a worker and a reconciler on the ports the container wires."""
    store_budgets(db, budget, clock=clock)
    notes = Notes()
    notifier = notes.notifier
    budgets, sink = StoredBudgets(), LedgerCredits()
    return (
        TopupWorker(db, api, budgets, sink, clock=clock, notifier=notifier),
        TopupReconciler(db, api, budgets, sink, clock=clock, notifier=notifier),
        notes,
    )


def plan(db: Engine, clock: PinnedClock, cents: int = 200_000) -> str | None:
    with db.begin() as conn:
        return plan_topup(
            conn, budget_id="b1", amount_cents=cents, quantity_seconds=None, reason="r", now=clock()
        )


def row(db: Engine, topup_id: str) -> Any:
    with db.connect() as conn:
        return load(conn, topup_id)


def balance(db: Engine, budget_id: str) -> int:
    """The budget's settled balance in cents, as the dashboard reads it from the ledger."""
    with db.connect() as conn:
        [found] = balance_rows(conn, [budget_id])
    return found.settled


def test_an_unbooked_draft_waits_for_a_person_then_credits_once(
    db: Engine, clock: PinnedClock, api: FakeInvoices
) -> None:
    work, reconcile, _ = build(db, api, clock, make_budget(book=False))
    topup_id = plan(db, clock)
    assert topup_id is not None
    work.run_once()
    current = row(db, topup_id)
    assert current.status is TopupStatus.DRAFTED and current.next_attempt_at is None
    assert reconcile.poll_open_topups() == 0
    api.person_books(current.invoice_id)
    event = Event("invoice.booked", "invoice", current.invoice_id)
    reconcile.handle_invoice_events([event, event])
    reconcile.handle_invoice_events([event])
    assert row(db, topup_id).status is TopupStatus.CREDITED
    assert [(line["source_key"], line["amount_cents"], line["reason"]) for line in ledger_credits(db)] == [
        (f"topup:{topup_id}", 200_000, "top-up invoice 2026 / 1")
    ]


def test_credit_on_payment_waits_for_matched_and_a_removed_payment_reverses_it_once(
    db: Engine, clock: PinnedClock, api: FakeInvoices
) -> None:
    work, reconcile, notes = build(db, api, clock, make_budget(credit_on=CreditOn.PAID))
    topup_id = plan(db, clock)
    assert topup_id is not None
    work.run_once()
    current = row(db, topup_id)
    assert current.status is TopupStatus.BOOKED
    assert reconcile.poll_open_topups() == 0
    api.person_pays(current.invoice_id)
    assert reconcile.poll_open_topups() == 1
    assert reconcile.poll_open_topups() == 0
    assert row(db, topup_id).status is TopupStatus.CREDITED
    api.person_removes_payments(current.invoice_id)
    event = Event("invoice.paymentRemoved", "invoice", current.invoice_id)
    reconcile.handle_invoice_events([event])
    reconcile.handle_invoice_events([event])
    assert [(line["kind"], line["source_key"], line["amount_cents"]) for line in ledger_credits(db)] == [
        ("topup_credit", f"topup:{topup_id}", 200_000),
        ("credit_reversal", f"topup-rev:{topup_id}", -200_000),
    ]
    reversal = ledger_credits(db)[-1]
    assert reversal["reason"] == "payment removed from invoice 2026 / 1"
    assert balance(db, "b1") == 0
    assert notes.sent[-1]["event"] == "topup_reversed"


def test_a_credit_note_on_a_topup_invoice_reverses_its_credit_once(
    db: Engine, clock: PinnedClock, api: FakeInvoices
) -> None:
    work, reconcile, _ = build(db, api, clock, make_budget())
    topup_id = plan(db, clock)
    assert topup_id is not None
    work.run_once()
    invoice_id = row(db, topup_id).invoice_id
    api.person_credits(invoice_id, "cn-1")
    event = Event("creditNote.booked", "creditNote", "cn-1")
    reconcile.handle_credit_note_events([event, event])
    reconcile.handle_credit_note_events([event])
    reconcile.handle_invoice_events([Event("invoice.updated", "invoice", invoice_id)])
    assert [(line["kind"], line["source_key"], line["amount_cents"]) for line in ledger_credits(db)] == [
        ("topup_credit", f"topup:{topup_id}", 200_000),
        ("credit_reversal", f"topup-rev:{topup_id}", -200_000),
    ]
    assert ledger_credits(db)[-1]["reason"] == "credit note CN 1 booked on invoice 2026 / 1"
    assert balance(db, "b1") == 0


def test_events_about_other_invoices_cost_no_api_call(
    db: Engine, clock: PinnedClock, api: FakeInvoices
) -> None:
    _, reconcile, _ = build(db, api, clock, make_budget())
    reconcile.handle_invoice_events([Event("invoice.booked", "invoice", "someone-elses")])
    assert api.calls["invoices.info"] == 0


def test_a_draft_deleted_in_teamleader_cancels_the_topup(
    db: Engine, clock: PinnedClock, api: FakeInvoices
) -> None:
    work, reconcile, _ = build(db, api, clock, make_budget(book=False))
    topup_id = plan(db, clock)
    assert topup_id is not None
    work.run_once()
    api.invoices.clear()
    assert reconcile.poll_open_topups() == 1
    assert row(db, topup_id).status is TopupStatus.CANCELLED
    assert plan(db, clock) is not None, "a cancelled top-up no longer blocks the budget"


def test_the_veto_window_holds_the_draft_before_booking(
    db: Engine, clock: PinnedClock, api: FakeInvoices
) -> None:
    work, _, _ = build(db, api, clock, make_budget(guardrails=Guardrails(veto_hours=4)))
    topup_id = plan(db, clock)
    assert topup_id is not None
    work.run_once()
    assert row(db, topup_id).status is TopupStatus.DRAFTED
    clock.advance(hours=3, minutes=59)
    assert work.run_once() == 0
    clock.advance(minutes=2)
    work.run_once()
    assert row(db, topup_id).status is TopupStatus.CREDITED


@pytest.mark.parametrize(
    ("budget", "blocked"),
    [
        (make_budget(mode=ReplenishMode.ONE_OFF), TopUpBlocked.NOT_AUTO),
        (make_budget(guardrails=Guardrails(monthly_cap=3000)), TopUpBlocked.MONTHLY_CAP),
        (
            make_budget(
                end=PINNED_AT.date() + timedelta(days=5), guardrails=Guardrails(no_topup_days_before_end=7)
            ),
            TopUpBlocked.NEAR_END,
        ),
    ],
)
def test_a_guardrail_cancels_the_topup_with_its_reason_and_a_notification(
    db: Engine, clock: PinnedClock, api: FakeInvoices, budget: Any, blocked: TopUpBlocked
) -> None:
    work, _, notes = build(db, api, clock, budget)
    first = plan(db, clock)
    assert first is not None
    work.run_once()
    if blocked is TopUpBlocked.MONTHLY_CAP:
        assert row(db, first).status is TopupStatus.CREDITED
        second = plan(db, clock, cents=150_000)
        assert second is not None
        work.run_once()
        first = second
    current = row(db, first)
    assert current.status is TopupStatus.CANCELLED
    assert current.last_error == f"blocked: {blocked.value}"
    assert notes.sent[-1]["event"] == "topup_blocked"
    assert notes.sent[-1]["fields"]["reason"] == blocked.value
    assert blocked.value in notes.sent[-1]["text"]


def test_topups_pause_after_consecutive_failures(db: Engine, clock: PinnedClock, api: FakeInvoices) -> None:
    work, _, notes = build(db, api, clock, make_budget(guardrails=Guardrails(pause_after_failures=2)))
    for _ in range(2):
        api.fail("invoices.draft", "refused")
        failed = plan(db, clock)
        assert failed is not None
        work.run_once()
        assert row(db, failed).status is TopupStatus.FAILED
        clock.advance(minutes=1)
    assert [n["event"] for n in notes.sent] == ["topup_failed", "topup_failed"]
    paused = plan(db, clock)
    assert paused is not None
    work.run_once()
    assert row(db, paused).last_error == f"blocked: {TopUpBlocked.PAUSED.value}"
    assert api.calls["invoices.draft"] == 2
    assert notes.sent[-1]["event"] == "topup_blocked"
