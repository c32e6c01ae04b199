"""Invoices and credit notes -> Teamleader JSON (`invoices.info/list`, `creditNotes.info/list`).

Totals are computed from the lines on every read, as `invoicing` defines them, so what a client
reads always agrees with the lines it drafted.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from connector.sandbox.invoicing import invoice_totals, line_totals
from connector.sandbox.model import CreditNote, Invoice, Ref
from connector.sandbox.render import WEB, amount, iso, ref, typed
from connector.sandbox.state import SandboxState

__all__ = ["credit_note", "customer_name", "invoice"]


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _totals(state: SandboxState, record: Invoice) -> dict[str, Any]:
    totals = invoice_totals(state, record)
    currency = record.currency
    return {
        "tax_exclusive": amount(totals["tax_exclusive"], currency),
        "tax_exclusive_before_discount": amount(totals["tax_exclusive_before_discount"], currency),
        "tax_inclusive": amount(totals["tax_inclusive"], currency),
        "tax_inclusive_before_discount": amount(totals["tax_inclusive_before_discount"], currency),
        "taxes": [
            {"rate": rate, "taxable": amount(taxable, currency), "tax": amount(tax, currency)}
            for rate, taxable, tax in totals["taxes"]
        ],
        "withheld_taxes": [],
        "payable": amount(totals["payable"], currency),
        "due": amount(totals["due"], currency),
    }


def invoice(state: SandboxState, record: Invoice, *, detail: bool) -> dict[str, Any]:
    customer = record.customer
    name = customer_name(state, customer)
    paid = record.status == "matched"
    data: dict[str, Any] = {
        "id": record.id,
        "department": {"type": "department", "id": record.department_id},
        "invoice_number": record.invoice_number,
        "invoice_date": _day(record.invoice_date),
        "status": record.status,
        "due_on": _day(record.due_on),
        "paid": paid,
        "paid_at": iso(record.payments[-1].paid_at) if paid and record.payments else None,
        "sent": False,
        "purchase_order_number": record.purchase_order_number,
        "payment_reference": None,
        "invoicee": {
            "name": name,
            "vat_number": _vat_number(state, customer),
            "customer": ref(customer),
            "for_attention_of": record.for_attention_of,
        },
        "total": _totals(state, record),
        "currency_exchange_rate": {"from": record.currency, "to": record.currency, "rate": 1},
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "web_url": f"{WEB}/invoice_detail.php?id={record.id}",
        "file": None,
        "deal": None,
        "project": typed("project", record.project_id),
    }
    if detail:
        data["invoicee"]["email"] = _email(state, customer)
        data["invoicee"]["national_identification_number"] = None
        data["grouped_lines"] = [_group(state, group, record.currency) for group in record.grouped_lines]
        data["payment_term"] = record.payment_term
        data["payments"] = [
            {"paid_at": iso(payment.paid_at), "payment": amount(payment.amount, record.currency)}
            for payment in record.payments
        ]
        data["note"] = record.note
        data["currency"] = record.currency
        data["discounts"] = record.discounts
        data["expected_payment_method"] = None
        data["on_hold_since"] = None
        data["custom_fields"] = [
            {"definition": {"type": "customFieldDefinition", "id": item["id"]}, "value": item["value"]}
            for item in record.custom_fields
        ]
        data["document_template"] = None
        data["delivery_date"] = None
        data["peppol_status"] = None
    return data


def _group(state: SandboxState, group: dict[str, Any], currency: str) -> dict[str, Any]:
    items = []
    for line in group["line_items"]:
        totals = line_totals(state, line)
        items.append(
            {
                "product": None,
                "quantity": line["quantity"],
                "description": line["description"],
                "extended_description": line["extended_description"],
                "unit": None,
                "unit_price": {"amount": line["unit_price"], "tax": "excluding"},
                "tax": {"type": "taxRate", "id": line["tax_rate_id"]},
                "discount": None
                if line["discount"] is None
                else {"value": line["discount"], "type": "percentage"},
                "total": {key: amount(value, currency) for key, value in totals.items()},
                "product_category": None,
                "withheld_tax": None,
            }
        )
    return {
        "section": {"title": group["section"]["title"] if group["section"] else None},
        "line_items": items,
    }


def customer_name(state: SandboxState, customer: Ref) -> str:
    if customer[0] == "company" and customer[1] in state.companies:
        return state.companies[customer[1]].name
    person = state.contacts.get(customer[1])
    return f"{person.first_name} {person.last_name}" if person else ""


def _vat_number(state: SandboxState, customer: Ref) -> str | None:
    company = state.companies.get(customer[1]) if customer[0] == "company" else None
    return company.vat_number if company else None


def _email(state: SandboxState, customer: Ref) -> str | None:
    """The invoicee's address as `invoices.info` shows it (the customer's, when it still exists)."""
    table = state.companies if customer[0] == "company" else state.contacts
    party = table.get(customer[1])
    return party.email if party and party.email else None


def credit_note(state: SandboxState, record: CreditNote) -> dict[str, Any]:
    currency = record.currency
    tax = sum((amount_ for _, _, amount_ in record.taxes), Decimal(0))
    return {
        "id": record.id,
        "department": {"type": "department", "id": record.department_id},
        "credit_note_number": record.credit_note_number,
        "credit_note_date": record.credit_note_date.isoformat(),
        "status": "booked",
        "invoice": {"type": "invoice", "id": record.invoice_id},
        "paid": False,
        "paid_at": None,
        "invoicee": {
            "name": customer_name(state, record.customer),
            "vat_number": None,
            "customer": ref(record.customer),
        },
        "total": {
            "tax_exclusive": amount(record.amount_excl, currency),
            "tax_inclusive": amount(record.amount_excl + tax, currency),
            "payable": amount(record.amount_excl + tax, currency),
            "taxes": [
                {"rate": rate, "taxable": amount(taxable, currency), "tax": amount(tax_, currency)}
                for rate, taxable, tax_ in record.taxes
            ],
        },
        "currency": currency,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    }
