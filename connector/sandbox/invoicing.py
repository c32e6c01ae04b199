"""Invoices and credit notes: drafting, booking, payments and credits with Teamleader's rules.

The rules (teamleader-api.md §3.5): a draft needs an existing customer and department, a tax
rate of that same department on every line, `unit_price {amount, tax: "excluding"}`, and an
untitled group must omit `section`; only drafts can be updated; booking assigns "YYYY / N"
(per department and year) and moves draft -> outstanding; a full payment or credit makes it
matched; only a draft or a department's last booked invoice can be deleted.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connector.sandbox.errors import ApiError
from connector.sandbox.model import CreditNote, Invoice, Payment, Ref
from connector.sandbox.state import SandboxState

__all__ = [
    "book",
    "credit",
    "delete",
    "draft",
    "invoice_totals",
    "parse_date",
    "register_payment",
    "remove_payments",
    "update",
]

CENT = Decimal("0.01")
_INVALID_LINES = "grouped_lines must be valid"


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_date(value: Any, field: str) -> date:
    if not isinstance(value, str):
        raise ApiError(400, f"{field} must be a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value) if len(value) == 10 else _bad_date(field)
    except ValueError:
        return _bad_date(field)


def _bad_date(field: str) -> date:
    raise ApiError(400, f"{field} must be a date (YYYY-MM-DD)")


def _customer(state: SandboxState, invoicee: dict[str, Any]) -> tuple[Ref, dict[str, Any] | None]:
    customer = invoicee["customer"]
    ref: Ref = (customer["type"], customer["id"])
    if not state.customer_exists(ref):
        raise ApiError(400, f"invoicee.customer {ref[0]} {ref[1]} does not exist")
    attention = invoicee.get("for_attention_of")
    if attention and "contact_id" in attention and attention["contact_id"] not in state.contacts:
        raise ApiError(400, f"invoicee.for_attention_of.contact_id {attention['contact_id']} does not exist")
    return ref, attention


def _payment_term(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or raw.get("type") is None:
        raise ApiError(400, "payment_term.type is required")
    if raw["type"] != "cash" and raw.get("days") is None:
        raise ApiError(400, f"payment_term.days is required for payment term type {raw['type']}")
    term = {"type": raw["type"]}
    if raw["type"] != "cash":
        term["days"] = int(raw["days"])
    return term


def _grouped_lines(state: SandboxState, raw: Any, department_id: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, _INVALID_LINES)
    groups: list[dict[str, Any]] = []
    for group in raw:
        section = None
        if "section" in group:
            title = group["section"].get("title") if isinstance(group["section"], dict) else None
            if not isinstance(title, str) or not title.strip():
                raise ApiError(400, _INVALID_LINES)
            section = {"title": title}
        lines = []
        for line in group["line_items"]:
            tax_rate = state.tax_rates.get(line["tax_rate_id"])
            if tax_rate is None:
                raise ApiError(400, f"tax rate {line['tax_rate_id']} does not exist")
            if tax_rate.department_id != department_id:
                raise ApiError(400, f"tax rate {tax_rate.id} does not belong to department {department_id}")
            discount = line.get("discount")
            lines.append(
                {
                    "quantity": Decimal(line["quantity"]),
                    "description": line["description"],
                    "extended_description": line.get("extended_description"),
                    "unit_price": Decimal(line.get("unit_price", {}).get("amount", 0)),
                    "tax_rate_id": tax_rate.id,
                    "discount": Decimal(discount["value"]) if discount else None,
                }
            )
        groups.append({"section": section, "line_items": lines})
    return groups


def _optional_reference(state: SandboxState, body: dict[str, Any]) -> str | None:
    project_id = body.get("project_id")
    if project_id is not None and project_id not in state.projects:
        raise ApiError(400, f"project {project_id} does not exist")
    return project_id if isinstance(project_id, str) else None


def _custom_fields(state: SandboxState, raw: Any) -> list[dict[str, Any]]:
    values = []
    for item in raw or []:
        if item.get("id") not in state.custom_field_definitions:
            raise ApiError(400, f"custom field definition {item.get('id')} does not exist")
        values.append({"id": item["id"], "value": item.get("value")})
    return values


def draft(state: SandboxState, body: dict[str, Any], now: datetime) -> Invoice:
    """`invoices.draft`; the request already passed schema validation."""
    department = state.departments.get(body["department_id"])
    if department is None:
        raise ApiError(400, f"department {body['department_id']} does not exist")
    customer, attention = _customer(state, body["invoicee"])
    invoice_date = body.get("invoice_date")
    invoice = Invoice(
        id=str(uuid.uuid4()),
        department_id=department.id,
        customer=customer,
        for_attention_of=attention,
        payment_term=_payment_term(body["payment_term"]),
        grouped_lines=_grouped_lines(state, body["grouped_lines"], department.id),
        currency=(body.get("currency") or {}).get("code", department.currency),
        purchase_order_number=body.get("purchase_order_number"),
        note=body.get("note"),
        discounts=list(body.get("discounts") or []),
        project_id=_optional_reference(state, body),
        invoice_date=parse_date(invoice_date, "invoice_date") if invoice_date is not None else None,
        created_at=now,
        updated_at=now,
        custom_fields=_custom_fields(state, body.get("custom_fields")),
    )
    state.invoices[invoice.id] = invoice
    state.emit("invoice.drafted", ("invoice", invoice.id))
    return invoice


def get_invoice(state: SandboxState, invoice_id: Any) -> Invoice:
    invoice = state.invoices.get(invoice_id) if isinstance(invoice_id, str) else None
    if invoice is None:
        raise ApiError(404, f"invoice {invoice_id} not found")
    return invoice


def update(state: SandboxState, body: dict[str, Any], now: datetime) -> Invoice:
    """`invoices.update`: drafts only; given collections replace the old ones wholesale."""
    invoice = get_invoice(state, body["id"])
    if invoice.status != "draft":
        raise ApiError(400, "Booked invoices cannot be updated")
    if "invoicee" in body:
        invoice.customer, invoice.for_attention_of = _customer(state, body["invoicee"])
    if body.get("payment_term") is not None:
        invoice.payment_term = _payment_term(body["payment_term"])
    if "grouped_lines" in body:
        invoice.grouped_lines = _grouped_lines(state, body["grouped_lines"], invoice.department_id)
    if "invoice_date" in body:
        invoice.invoice_date = parse_date(body["invoice_date"], "invoice_date")
    for field in ("purchase_order_number", "note"):
        if field in body:
            setattr(invoice, field, body[field])
    if "discounts" in body:
        invoice.discounts = list(body["discounts"])
    if "project_id" in body:
        invoice.project_id = _optional_reference(state, body)
    if "custom_fields" in body:
        invoice.custom_fields = _custom_fields(state, body["custom_fields"])
    invoice.updated_at = now
    state.emit("invoice.updated", ("invoice", invoice.id))
    return invoice


def _due_on(invoice_date: date, term: dict[str, Any]) -> date:
    days = int(term.get("days") or 0)
    if term["type"] == "cash":
        return invoice_date
    if term["type"] == "end_of_month":
        next_month = (invoice_date.replace(day=28) + timedelta(days=4)).replace(day=1)
        return next_month - timedelta(days=1) + timedelta(days=days)
    return invoice_date + timedelta(days=days)


def book(state: SandboxState, invoice_id: Any, on: date, now: datetime) -> Invoice:
    """`invoices.book`: numbers the draft "YYYY / N" in its department and year."""
    invoice = get_invoice(state, invoice_id)
    if invoice.status != "draft":
        raise ApiError(400, f"invoice {invoice.id} is already booked")
    used = [
        other.sequence
        for other in state.invoices.values()
        if other.department_id == invoice.department_id
        and other.sequence is not None
        and other.invoice_date is not None
        and other.invoice_date.year == on.year
    ]
    invoice.sequence = max(used, default=0) + 1
    invoice.invoice_number = f"{on.year} / {invoice.sequence}"
    invoice.invoice_date = on
    invoice.due_on = _due_on(on, invoice.payment_term)
    invoice.status = "outstanding"
    invoice.updated_at = now
    state.emit("invoice.booked", ("invoice", invoice.id))
    return invoice


def delete(state: SandboxState, invoice_id: Any) -> None:
    """`invoices.delete`: a draft, or the last booked invoice of its department."""
    invoice = get_invoice(state, invoice_id)
    if invoice.status != "draft":
        key = _number_key(invoice)
        later = any(
            other.department_id == invoice.department_id
            and other.sequence is not None
            and _number_key(other) > key
            for other in state.invoices.values()
        )
        if later or invoice.payments or invoice.credit_note_ids:
            raise ApiError(400, "Only draft invoices or the last booked invoice can be deleted")
    del state.invoices[invoice.id]
    state.emit("invoice.deleted", ("invoice", invoice.id))


def _number_key(invoice: Invoice) -> tuple[int, int]:
    return (invoice.invoice_date.year if invoice.invoice_date else 0, invoice.sequence or 0)


def _refresh_paid_status(state: SandboxState, invoice: Invoice) -> None:
    due = invoice_totals(state, invoice)["due"]
    invoice.status = "matched" if due <= 0 else "outstanding"


def register_payment(
    state: SandboxState, invoice_id: Any, amount: Decimal, paid_at: datetime, now: datetime
) -> Invoice:
    invoice = get_invoice(state, invoice_id)
    if invoice.status == "draft":
        raise ApiError(400, "Payments can only be registered on booked invoices")
    if amount <= 0:
        raise ApiError(400, "payment.amount must be positive")
    invoice.payments.append(Payment(amount=money(amount), paid_at=paid_at))
    _refresh_paid_status(state, invoice)
    invoice.updated_at = now
    state.emit("invoice.paymentRegistered", ("invoice", invoice.id))
    return invoice


def remove_payments(state: SandboxState, invoice_id: Any, now: datetime) -> Invoice:
    invoice = get_invoice(state, invoice_id)
    invoice.payments.clear()
    if invoice.status != "draft":
        _refresh_paid_status(state, invoice)
    invoice.updated_at = now
    state.emit("invoice.paymentRemoved", ("invoice", invoice.id))
    return invoice


def credit(state: SandboxState, invoice_id: Any, on: date, now: datetime) -> CreditNote:
    """A full credit note (`invoices.credit`); the invoice counts as settled afterwards."""
    invoice = get_invoice(state, invoice_id)
    if invoice.status == "draft":
        raise ApiError(400, "Only booked invoices can be credited")
    if invoice.credit_note_ids:
        raise ApiError(400, f"invoice {invoice.id} is already credited")
    totals = invoice_totals(state, invoice)
    used = [
        note.credit_note_number
        for note in state.credit_notes.values()
        if note.department_id == invoice.department_id and note.credit_note_date.year == on.year
    ]
    note = CreditNote(
        id=str(uuid.uuid4()),
        invoice_id=invoice.id,
        department_id=invoice.department_id,
        customer=invoice.customer,
        credit_note_number=f"{on.year} / {len(used) + 1}",
        credit_note_date=on,
        amount_excl=totals["tax_exclusive"],
        taxes=totals["taxes"],
        currency=invoice.currency,
        created_at=now,
        updated_at=now,
    )
    state.credit_notes[note.id] = note
    invoice.credit_note_ids.append(note.id)
    _refresh_paid_status(state, invoice)
    invoice.updated_at = now
    state.emit("creditNote.booked", ("creditNote", note.id))
    return note


def line_totals(state: SandboxState, line: dict[str, Any]) -> dict[str, Decimal]:
    rate = state.tax_rates[line["tax_rate_id"]].rate
    before = money(line["quantity"] * line["unit_price"])
    discount = line["discount"] or Decimal(0)
    exclusive = money(before * (1 - discount / 100))
    return {
        "tax_exclusive": exclusive,
        "tax_exclusive_before_discount": before,
        "tax_inclusive": exclusive + money(exclusive * rate),
        "tax_inclusive_before_discount": before + money(before * rate),
    }


def invoice_totals(state: SandboxState, invoice: Invoice) -> dict[str, Any]:
    """Totals as Decimals; `taxes` is a list of (rate, taxable, tax)."""
    factor = Decimal(1)
    for discount in invoice.discounts:
        factor *= 1 - Decimal(discount.get("value", 0)) / 100
    by_rate: dict[Decimal, list[Decimal]] = {}
    before_total = Decimal(0)
    before_inclusive = Decimal(0)
    for group in invoice.grouped_lines:
        for line in group["line_items"]:
            totals = line_totals(state, line)
            rate = state.tax_rates[line["tax_rate_id"]].rate
            by_rate.setdefault(rate, []).append(totals["tax_exclusive"])
            before_total += totals["tax_exclusive"]
            before_inclusive += totals["tax_inclusive"]
    taxes = []
    for rate, amounts in sorted(by_rate.items(), reverse=True):
        taxable = money(sum(amounts, Decimal(0)) * factor)
        taxes.append((rate, taxable, money(taxable * rate)))
    exclusive = sum((taxable for _, taxable, _ in taxes), Decimal(0))
    inclusive = exclusive + sum((tax for _, _, tax in taxes), Decimal(0))
    paid = sum((payment.amount for payment in invoice.payments), Decimal(0))
    credited = inclusive if invoice.credit_note_ids else Decimal(0)
    return {
        "tax_exclusive": exclusive,
        "tax_exclusive_before_discount": before_total,
        "tax_inclusive": inclusive,
        "tax_inclusive_before_discount": before_inclusive,
        "taxes": taxes,
        "payable": inclusive,
        "due": max(inclusive - paid - credited, Decimal(0)),
    }
