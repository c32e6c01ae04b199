"""The invoicing ports over the project's Teamleader client: the only way this area reaches Teamleader.

The client returns typed models; the state machine reads plain mappings (so its fakes stay
small), and this adapter turns one into the other. The marker search by `term` goes through
the client's raw `call`, because the typed `invoices()` does not expose that filter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from connector.teamleader.client import TeamleaderClient
from connector.teamleader.responses import unwrap

__all__ = ["TeamleaderInvoices"]

_PAGE = {"size": 100, "number": 1}


class TeamleaderInvoices:
    """`InvoiceApi` and `ReferenceApi` on a `TeamleaderClient`."""

    def __init__(self, client: TeamleaderClient) -> None:
        self._client = client

    def draft_invoice(self, body: Mapping[str, Any]) -> str:
        return self._client.draft_invoice(body)

    def book_invoice(self, invoice_id: str, on: date) -> None:
        self._client.book_invoice(invoice_id, on)

    def invoice_info(self, invoice_id: str) -> Mapping[str, Any]:
        return self._client.invoice(invoice_id).model_dump()

    def list_invoices(self, filters: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
        marker = filters.get("purchase_order_number")
        if marker is not None and len(filters) == 1:
            return [row.model_dump() for row in self._client.invoices(purchase_order_number=str(marker))]
        rows = unwrap(self._client.call("invoices.list", {"filter": dict(filters), "page": _PAGE}))
        return [row for row in rows or [] if isinstance(row, Mapping)]

    def delete_invoice(self, invoice_id: str) -> None:
        self._client.delete_invoice(invoice_id)

    def credit_note_info(self, credit_note_id: str) -> Mapping[str, Any]:
        return self._client.credit_note(credit_note_id).model_dump()

    def list_departments(self) -> Sequence[Mapping[str, Any]]:
        return [row.model_dump() for row in self._client.departments()]

    def list_tax_rates(self, department_id: str) -> Sequence[Mapping[str, Any]]:
        return [row.model_dump() for row in self._client.tax_rates(department_id=department_id)]
