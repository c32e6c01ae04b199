"""Invoice and credit-note endpoints (teamleader-api.md §3.5).

Creates answer 201 `{"data": {"type", "id"}}`, actions 204. `invoices.list` takes `status` only as
an array of draft/outstanding/matched, and filters exactly on `purchase_order_number` (the
connector's de-duplication marker). Rules about what may be drafted, booked or deleted live in
`invoicing`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector.sandbox import invoicing, render_invoices
from connector.sandbox.errors import ApiError
from connector.sandbox.listing import Reply, filters, parse_datetime, required_id, sorted_page
from connector.sandbox.model import CreditNote, Invoice

if TYPE_CHECKING:
    from connector.sandbox.core import Sandbox

__all__ = ["HANDLERS"]

Handler = Callable[["Sandbox", dict[str, Any]], Reply]
STATUSES = ("draft", "outstanding", "matched")


def invoices_draft(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    invoice = invoicing.draft(sandbox.state, body, sandbox.now())
    return 201, {"data": {"type": "invoice", "id": invoice.id}}


def invoices_update(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    invoicing.update(sandbox.state, body, sandbox.now())
    return 204, None


def invoices_book(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    on = invoicing.parse_date(body["on"], "on")
    invoicing.book(sandbox.state, body["id"], on, sandbox.now())
    return 204, None


def invoices_delete(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    invoicing.delete(sandbox.state, body["id"])
    return 204, None


def invoices_register_payment(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    invoice = invoicing.get_invoice(sandbox.state, body["id"])
    payment = body["payment"]
    if payment["currency"] != invoice.currency:
        raise ApiError(400, f"payment.currency must be the invoice's currency {invoice.currency}")
    paid_at = parse_datetime(body["paid_at"], "paid_at")
    invoicing.register_payment(sandbox.state, invoice.id, Decimal(payment["amount"]), paid_at, sandbox.now())
    return 204, None


def invoices_info(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    invoice = invoicing.get_invoice(sandbox.state, required_id(body))
    return 200, {"data": render_invoices.invoice(sandbox.state, invoice, detail=True)}


def _date_bound(wanted: dict[str, Any], key: str) -> date | None:
    return invoicing.parse_date(wanted[key], f"filter.{key}") if key in wanted else None


def _since(wanted: dict[str, Any]) -> datetime | None:
    return (
        parse_datetime(wanted["updated_since"], "filter.updated_since") if "updated_since" in wanted else None
    )


def _invoice_filter(sandbox: Sandbox, wanted: dict[str, Any]) -> Callable[[Invoice], bool]:
    statuses = wanted.get("status")
    if statuses is not None and any(status not in STATUSES for status in statuses):
        raise ApiError(400, f"filter.status must only contain {', '.join(STATUSES)}")
    ids = set(wanted["ids"]) if "ids" in wanted else None
    since = _since(wanted)
    after, before = _date_bound(wanted, "invoice_date_after"), _date_bound(wanted, "invoice_date_before")
    customer = wanted.get("customer")
    exact = {
        key: wanted[key]
        for key in ("department_id", "purchase_order_number", "invoice_number", "project_id")
        if key in wanted
    }
    term = str(wanted.get("term", "")).lower()
    state = sandbox.state

    def keep(invoice: Invoice) -> bool:
        values = {
            "department_id": invoice.department_id,
            "purchase_order_number": invoice.purchase_order_number,
            "invoice_number": invoice.invoice_number,
            "project_id": invoice.project_id,
        }
        return (
            (ids is None or invoice.id in ids)
            and (statuses is None or invoice.status in statuses)
            and (since is None or invoice.updated_at >= since)
            and (after is None or (invoice.invoice_date is not None and invoice.invoice_date >= after))
            and (before is None or (invoice.invoice_date is not None and invoice.invoice_date <= before))
            and (customer is None or invoice.customer == (customer["type"], customer["id"]))
            and all(values[key] == value for key, value in exact.items())
            and (not term or _term_matches(state, invoice, term))
        )

    return keep


def _term_matches(state: Any, invoice: Invoice, term: str) -> bool:
    texts = [invoice.invoice_number or "", invoice.purchase_order_number or ""]
    texts.append(render_invoices.customer_name(state, invoice.customer))
    return any(term in text.lower() for text in texts)


def invoices_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    keep = _invoice_filter(sandbox, filters(body))
    rows = [invoice for invoice in sandbox.state.invoices.values() if keep(invoice)]
    keys: dict[str, Callable[[Any], Any]] = {
        "invoice_number": lambda invoice: (
            invoice.invoice_date.year if invoice.invoice_date and invoice.sequence else 0,
            invoice.sequence or 0,
            invoice.created_at,
            invoice.id,
        ),
        "invoice_date": lambda invoice: (invoice.invoice_date or date.min, invoice.id),
    }
    page_rows = sorted_page(rows, body, keys, "invoice_number")
    return 200, {"data": [render_invoices.invoice(sandbox.state, row, detail=False) for row in page_rows]}


def credit_notes_info(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    note_id = required_id(body)
    note = sandbox.state.credit_notes.get(note_id)
    if note is None:
        raise ApiError(404, f"Credit note {note_id} not found")
    return 200, {"data": render_invoices.credit_note(sandbox.state, note)}


def credit_notes_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    wanted = filters(body)
    ids = set(wanted["ids"]) if "ids" in wanted else None
    since = _since(wanted)
    after, before = (
        _date_bound(wanted, "credit_note_date_after"),
        _date_bound(wanted, "credit_note_date_before"),
    )
    customer = wanted.get("customer")

    def keep(note: CreditNote) -> bool:
        return (
            (ids is None or note.id in ids)
            and (since is None or note.updated_at >= since)
            and ("invoice_id" not in wanted or note.invoice_id == wanted["invoice_id"])
            and ("department_id" not in wanted or note.department_id == wanted["department_id"])
            and (customer is None or note.customer == (customer["type"], customer["id"]))
            and (after is None or note.credit_note_date >= after)
            and (before is None or note.credit_note_date <= before)
        )

    rows = [note for note in sandbox.state.credit_notes.values() if keep(note)]
    keys: dict[str, Callable[[Any], Any]] = {
        "credit_note_date": lambda note: (note.credit_note_date, note.id)
    }
    page_rows = sorted_page(rows, body, keys, "credit_note_date")
    return 200, {"data": [render_invoices.credit_note(sandbox.state, row) for row in page_rows]}


HANDLERS: dict[str, Handler] = {
    "invoices.draft": invoices_draft,
    "invoices.update": invoices_update,
    "invoices.book": invoices_book,
    "invoices.delete": invoices_delete,
    "invoices.registerPayment": invoices_register_payment,
    "invoices.info": invoices_info,
    "invoices.list": invoices_list,
    "creditNotes.info": credit_notes_info,
    "creditNotes.list": credit_notes_list,
}
