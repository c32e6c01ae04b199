"""Invoices and credit notes, in both the `.list` row shape and the fuller `.info` shape.

`invoice_number` is null until the invoice is booked; `status` is only ever `draft`,
`outstanding` or `matched` (fully paid). Lines are kept as Teamleader sends them (`grouped_lines`)
because the product only writes them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from connector.teamleader.models.base import Money, Reference, TeamleaderModel

__all__ = ["Created", "CreditNote", "Invoice", "InvoiceTotal", "Invoicee", "Payment", "TaxAmount"]

InvoiceStatus = Literal["draft", "outstanding", "matched"]


class Created(TeamleaderModel):
    """The answer to a create call (`invoices.draft`): the new record's type and id."""

    type: str | None = None
    id: str


class Invoicee(TeamleaderModel):
    """Who the invoice is addressed to; `customer` is the company or contact."""

    name: str | None = None
    vat_number: str | None = None
    customer: Reference | None = None
    email: str | None = None


class TaxAmount(TeamleaderModel):
    """One VAT rate's share of a total."""

    rate: Decimal | None = None
    taxable: Money | None = None
    tax: Money | None = None


class InvoiceTotal(TeamleaderModel):
    """Totals of an invoice or credit note."""

    tax_exclusive: Money | None = None
    tax_inclusive: Money | None = None
    payable: Money | None = None
    due: Money | None = None
    taxes: list[TaxAmount] = Field(default_factory=list)


class Payment(TeamleaderModel):
    """A payment registered on an invoice."""

    paid_at: datetime | None = None
    payment: Money


class Invoice(TeamleaderModel):
    """An invoice (`invoices.list` row or `invoices.info`)."""

    id: str
    department: Reference | None = None
    invoice_number: str | None = None
    invoice_date: date | None = None
    status: InvoiceStatus
    due_on: date | None = None
    paid: bool = False
    paid_at: datetime | None = None
    sent: bool | None = None
    purchase_order_number: str | None = None
    payment_reference: str | None = None
    invoicee: Invoicee | None = None
    total: InvoiceTotal | None = None
    payments: list[Payment] = Field(default_factory=list)
    currency: str | None = None
    grouped_lines: list[dict[str, Any]] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    web_url: str | None = None

    @property
    def is_draft(self) -> bool:
        """True until `invoices.book` gave it a number."""
        return self.status == "draft"


class CreditNote(TeamleaderModel):
    """A credit note, usually against an invoice."""

    id: str
    department: Reference | None = None
    credit_note_number: str | None = None
    credit_note_date: date | None = None
    status: str | None = None
    invoice: Reference | None = None
    paid: bool | None = None
    invoicee: Invoicee | None = None
    total: InvoiceTotal | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
