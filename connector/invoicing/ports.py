"""The ports of the invoicing area: what it needs from Teamleader, the ledger and the budgets.

Each is a Protocol so that the worker runs in unit tests with fakes and in production with the
real adapters that the composition root passes in: `InvoiceApi` over the Teamleader client,
`CreditSink` and `BudgetLookup` over the ledger service's storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Connection

from connector.billing.budget import Budget

__all__ = ["BudgetLookup", "CreditSink", "InvoiceApi", "ReferenceApi"]


class InvoiceApi(Protocol):
    """The Teamleader invoice calls the worker makes (teamleader-api.md §3.5).

    Writes raise `connector.teamleader.errors.OutcomeUnknown` when they may have been applied,
    `ValidationFailed`/`NotFound` when Teamleader refused them, other `TeamleaderError`s when
    Teamleader could not be reached.
    """

    def draft_invoice(self, body: Mapping[str, Any]) -> str:
        """`invoices.draft`; the new invoice's id."""

    def book_invoice(self, invoice_id: str, on: date) -> None:
        """`invoices.book`."""

    def invoice_info(self, invoice_id: str) -> Mapping[str, Any]:
        """`invoices.info`: the invoice's `data` object."""

    def list_invoices(self, filters: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
        """`invoices.list` with `filter` = `filters`: the first page of up to 100 rows."""

    def delete_invoice(self, invoice_id: str) -> None:
        """`invoices.delete` (drafts only)."""

    def credit_note_info(self, credit_note_id: str) -> Mapping[str, Any]:
        """`creditNotes.info`: the credit note's `data` object."""


class ReferenceApi(Protocol):
    """The Teamleader reference data that replenish settings point at (§3.4)."""

    def list_departments(self) -> Sequence[Mapping[str, Any]]:
        """`departments.list` rows (`id`, `name`, `status`)."""

    def list_tax_rates(self, department_id: str) -> Sequence[Mapping[str, Any]]:
        """`taxRates.list` rows of one department (`id`, `description`, `rate`, `department`)."""


class CreditSink(Protocol):
    """The ledger side: appends the credit of a top-up invoice, or its reversal, in `conn`'s transaction.

    Both calls must be idempotent by source key (`topup:{topup_id}`, `topup-rev:{topup_id}`): the
    worker calls them at most once per top-up, in the transaction that records the state change,
    and the key makes a repeat harmless. The sink may read `topup.kind` to choose the line kind
    (top-up credit, period grant, overage).
    """

    def credit(
        self,
        conn: Connection,
        *,
        budget_id: str,
        topup_id: str,
        invoice_id: str,
        invoice_number: str | None,
        amount_cents: int,
        quantity_seconds: int | None,
        now: datetime,
    ) -> None:
        """Append the one credit line of a booked (or paid) top-up invoice."""

    def reverse_credit(
        self, conn: Connection, *, topup_id: str, invoice_id: str, reason: str, now: datetime
    ) -> None:
        """Append the line that undoes that credit; `reason` names the invoice and why."""


class BudgetLookup(Protocol):
    """Reads a budget (customer, name, unit and hour price, replenish settings, guardrails)."""

    def budget(self, conn: Connection, budget_id: str) -> Budget | None:
        """The budget as it is now, or None when it no longer exists."""

    def customer_name(self, conn: Connection, budget: Budget) -> str:
        """The invoicee's name for the invoice line text (its id when unknown)."""
