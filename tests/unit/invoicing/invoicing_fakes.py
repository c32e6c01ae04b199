"""Test doubles of the invoicing ports (a Teamleader that can fail on cue), and the real ledger.

`FakeInvoices` keeps invoices in memory and applies Teamleader's rules that matter to the state
machine (draft -> outstanding on book, numbers on booking, only drafts deleted). `fail(endpoint,
how)` queues one failure for the next call: "unknown" (applied, then OutcomeUnknown), "lost"
(not applied, OutcomeUnknown), "refused" (400) or "down" (TransportFailed, not sent).

The unit, integration and end-to-end tests credit the real ledger through the ports production
wires (`StoredBudgets`, `LedgerCredits`): `store_budgets` stores budgets and their customers as
the budgets service and the sync do, and `ledger_credits` reads the top-up credits and reversals
back, so no test keeps a credit table of its own.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict, deque
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select
from support.clock import PINNED_AT

from connector.billing import LineKind
from connector.billing.budget import Budget, CreditOn, Guardrails, ReplenishMode, ReplenishSettings
from connector.billing.entries import CustomerRef, CustomerType
from connector.billing.money import Money
from connector.billing.units import BudgetUnit
from connector.budgets import BudgetsService
from connector.clock import Now
from connector.storage.tables.budgets import ledger_line
from connector.storage.tables.sync import company
from connector.teamleader.errors import NotFound, OutcomeUnknown, TransportFailed, ValidationFailed


def store_budgets(
    engine: Engine, *budgets: Budget, clock: Now, names: Mapping[str, str] | None = None
) -> None:
    """Store budgets through the budgets service, and their customers as the sync stores them.

    Each customer is a company named by `names` (the end-to-end tests pass the sandbox's, as a
    sync would store them) or else 'Customer <id>'; `StoredBudgets` then finds the budgets and
    their customer's name, and `LedgerCredits` credits them. Both are written at `clock()`: the
    unit and integration tests pass their pinned clock, the end-to-end tests the clock of the
    stack they drive.
    """
    synced = clock()
    named = names or {}
    with engine.begin() as conn:
        for customer_id in sorted({b.customer.id for b in budgets}):
            name = named.get(customer_id, f"Customer {customer_id}")
            conn.execute(
                insert(company).values(id=customer_id, name=name, raw={}, content_hash="x", synced_at=synced)
            )
    service = BudgetsService(engine, clock=clock)
    for b in budgets:
        service.create(b, actor="test")


TOPUP_LINE_KINDS = (LineKind.TOPUP_CREDIT.value, LineKind.CREDIT_REVERSAL.value)


def ledger_credits(engine: Engine) -> list[dict[str, Any]]:
    """The top-up credits and their reversals in the ledger, in the order they were written."""
    query = select(ledger_line).where(ledger_line.c.kind.in_(TOPUP_LINE_KINDS)).order_by(ledger_line.c.id)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def make_budget(
    budget_id: str = "b1",
    *,
    book: bool = True,
    credit_on: CreditOn = CreditOn.BOOKED,
    hours: bool = False,
    mode: ReplenishMode = ReplenishMode.AUTO,
    guardrails: Guardrails | None = None,
    department_id: str = "dep-1",
    tax_rate_id: str = "tax-21",
    customer_id: str = "co-1",
    end: date | None = None,
    payment_term_days: int = 30,
) -> Budget:
    """An automatically replenished budget (EUR 2,000 or 10 hours a top-up) from January 1 of
    `PINNED_AT`'s year, so it has begun by the time the tests stand at."""
    unit = BudgetUnit.hours(Money.of("95", "EUR")) if hours else BudgetUnit.money("EUR")
    return Budget(
        id=budget_id,
        customer=CustomerRef(CustomerType.COMPANY, customer_id),
        name=f"Support {budget_id}",
        unit=unit,
        start=PINNED_AT.date().replace(month=1, day=1),
        end=end,
        threshold=Decimal(5 if hours else 500),
        replenish=ReplenishSettings(
            mode=mode,
            fixed_amount=Decimal(10 if hours else 2000),
            department_id=department_id,
            tax_rate_id=tax_rate_id,
            payment_term_days=payment_term_days,
            line_text="Top-up of {budget} for {customer}: {quantity}",
            book=book,
            credit_on=credit_on,
        ),
        guardrails=guardrails or Guardrails(),
    )


class FakeInvoices:
    """An in-memory Teamleader for the invoice endpoints, with queued failures; it stamps invoices
    from `PINNED_AT` on, a second apart, so a search lists them in the order they were made."""

    def __init__(self) -> None:
        self.invoices: dict[str, dict[str, Any]] = {}
        self.credit_notes: dict[str, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.failures: dict[str, deque[str]] = defaultdict(deque)
        self.ignore_po_filter = False
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)

    def fail(self, endpoint: str, *hows: str) -> None:
        self.failures[endpoint].extend(hows)

    def _failure(self, endpoint: str) -> str | None:
        self.calls[endpoint] += 1
        queue = self.failures[endpoint]
        return queue.popleft() if queue else None

    def _before(self, endpoint: str, how: str | None) -> None:
        if how == "refused":
            raise ValidationFailed(endpoint, 400, "tax rate does not belong to department")
        if how == "down":
            raise TransportFailed(endpoint, "connection refused", sent=False)
        if how == "lost":
            raise OutcomeUnknown(endpoint, "read timeout")

    def draft_invoice(self, body: Mapping[str, Any]) -> str:
        how = self._failure("invoices.draft")
        self._before("invoices.draft", how)
        invoice_id = f"inv-{next(self._ids)}"
        self.invoices[invoice_id] = {
            "id": invoice_id,
            "status": "draft",
            "invoice_number": None,
            "purchase_order_number": body.get("purchase_order_number"),
            "created_at": (PINNED_AT + timedelta(seconds=len(self.invoices))).isoformat(),
            "payments": [],
            "body": dict(body),
        }
        if how == "unknown":
            raise OutcomeUnknown("invoices.draft", "HTTP 500 after the write")
        return invoice_id

    def book_invoice(self, invoice_id: str, on: date) -> None:
        how = self._failure("invoices.book")
        self._before("invoices.book", how)
        invoice = self._get("invoices.book", invoice_id)
        if invoice["status"] != "draft":
            raise ValidationFailed("invoices.book", 400, "only drafts can be booked")
        invoice.update(status="outstanding", invoice_number=f"2026 / {next(self._numbers)}")
        if how == "unknown":
            raise OutcomeUnknown("invoices.book", "connection dropped")

    def _get(self, endpoint: str, invoice_id: str) -> dict[str, Any]:
        if invoice_id not in self.invoices:
            raise NotFound(endpoint, 404, f"invoice {invoice_id} not found")
        return self.invoices[invoice_id]

    def invoice_info(self, invoice_id: str) -> Mapping[str, Any]:
        self._before("invoices.info", self._failure("invoices.info"))
        return dict(self._get("invoices.info", invoice_id))

    def list_invoices(self, filters: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
        self._before("invoices.list", self._failure("invoices.list"))
        rows = list(self.invoices.values())
        if "purchase_order_number" in filters and not self.ignore_po_filter:
            rows = [row for row in rows if row["purchase_order_number"] == filters["purchase_order_number"]]
        if "term" in filters:
            rows = [row for row in rows if filters["term"] in (row["purchase_order_number"] or "")]
        return [dict(row) for row in rows[:100]]

    def delete_invoice(self, invoice_id: str) -> None:
        self._before("invoices.delete", self._failure("invoices.delete"))
        invoice = self._get("invoices.delete", invoice_id)
        if invoice["status"] != "draft":
            raise ValidationFailed("invoices.delete", 400, "only drafts can be deleted")
        del self.invoices[invoice_id]

    def credit_note_info(self, credit_note_id: str) -> Mapping[str, Any]:
        if credit_note_id not in self.credit_notes:
            raise NotFound("creditNotes.info", 404, "no such credit note")
        return self.credit_notes[credit_note_id]

    # what a person does in Teamleader

    def person_books(self, invoice_id: str) -> None:
        self.invoices[invoice_id].update(status="outstanding", invoice_number=f"2026 / {next(self._numbers)}")

    def person_pays(self, invoice_id: str) -> None:
        self.invoices[invoice_id]["status"] = "matched"
        self.invoices[invoice_id]["payments"] = [
            {"payment": {"amount": Decimal("2420.00"), "currency": "EUR"}}
        ]

    def person_removes_payments(self, invoice_id: str) -> None:
        self.invoices[invoice_id].update(status="outstanding", payments=[])

    def person_credits(self, invoice_id: str, note_id: str) -> None:
        self.invoices[invoice_id].update(status="matched")
        self.credit_notes[note_id] = {
            "id": note_id,
            "credit_note_number": "CN 1",
            "invoice": {"type": "invoice", "id": invoice_id},
        }

    def booked_count(self) -> int:
        return sum(1 for row in self.invoices.values() if row["status"] != "draft")


class FakeReference:
    """A `ReferenceApi` with two departments and their tax rates."""

    def list_departments(self) -> Sequence[Mapping[str, Any]]:
        return [
            {"id": "dep-1", "name": "Agency BV", "status": "active"},
            {"id": "dep-2", "name": "Agency Labs", "status": "active"},
            {"id": "dep-old", "name": "Closed", "status": "archived"},
        ]

    def list_tax_rates(self, department_id: str) -> Sequence[Mapping[str, Any]]:
        rates = {
            "dep-1": [
                {"id": "tax-21", "description": "21%", "department": {"type": "department", "id": "dep-1"}}
            ],
            "dep-2": [
                {"id": "tax-6", "description": "6%", "department": {"type": "department", "id": "dep-2"}}
            ],
        }
        return rates.get(department_id, [])
