"""The invoicing history of a seeded account: time Teamleader itself already billed.

In the first month of tracked time, some invoiceable entries are marked as invoiced by a booked,
paid Teamleader invoice (one per customer, with real lines), and some as settled by Teamleader's
own prepaid feature (`billing_info.type = "prepaid"`), so clients meet both cases of §3.3.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from connector.sandbox import invoicing
from connector.sandbox.model import Invoice, Ref, TimeEntry
from connector.sandbox.state import SandboxState

__all__ = ["add_invoiced_history"]

_HOUR_PRICE = Decimal("95.00")


def add_invoiced_history(state: SandboxState, rng: random.Random, start: date) -> None:
    cutoff = start + timedelta(days=30)
    billed: dict[Ref, list[TimeEntry]] = {}
    for entry in state.entries.values():
        customer = state.customer_of(entry)
        if customer is None or not entry.invoiceable or entry.started_at.date() >= cutoff:
            continue
        roll = rng.random()
        if roll < 0.25:
            billed.setdefault(customer, []).append(entry)
        elif roll < 0.35:
            entry.billing_type = "prepaid"
    if not billed or not state.departments:
        return
    department = next(iter(state.departments.values()))
    tax_rate = next(rate for rate in state.tax_rates.values() if rate.department_id == department.id)
    booked_at = datetime.combine(cutoff, time(10), tzinfo=UTC)
    for customer, entries in billed.items():
        hours = Decimal(sum(entry.duration for entry in entries)) / 3600
        invoice = Invoice(
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            department_id=department.id,
            customer=customer,
            for_attention_of=None,
            payment_term={"type": "after_invoice_date", "days": 30},
            grouped_lines=[
                {
                    "section": None,
                    "line_items": [
                        {
                            "quantity": hours.quantize(Decimal("0.01")),
                            "description": "Services rendered",
                            "extended_description": None,
                            "unit_price": _HOUR_PRICE,
                            "tax_rate_id": tax_rate.id,
                            "discount": None,
                        }
                    ],
                }
            ],
            currency=department.currency,
            purchase_order_number=None,
            note=None,
            discounts=[],
            project_id=None,
            invoice_date=None,
            created_at=booked_at,
            updated_at=booked_at,
        )
        state.invoices[invoice.id] = invoice
        invoicing.book(state, invoice.id, cutoff, booked_at)
        payable = invoicing.invoice_totals(state, invoice)["payable"]
        invoicing.register_payment(state, invoice.id, payable, booked_at + timedelta(days=12), booked_at)
        for entry in entries:
            entry.billing_type = "invoice"
            entry.billing_invoice_id = invoice.id
