"""What a top-up invoice says in Teamleader, and how the worker finds it again by its marker.

The marker goes in `purchase_order_number`: a free string that `invoices.list` filters on exactly
(teamleader-api.md §3.6). Teamleader silently ignores filters it does not know, so the rows that
come back are filtered again here by exact equality, and when the filter finds nothing the
search is repeated with `term` (which also matches PO numbers): an invoice the worker created is
recognised whichever of the two readings the API honours.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connector.billing.budget import Budget
from connector.billing.money import Money
from connector.billing.units import SECONDS_PER_HOUR
from connector.invoicing.model import RemoteInvoice, Topup, TopupKind
from connector.invoicing.ports import InvoiceApi
from connector.logging import get_logger

__all__ = ["draft_body", "find_by_marker", "line_text", "topup_money"]

_log = get_logger(__name__)
_QUANTITY = Decimal("0.0001")


def topup_money(topup: Topup, budget: Budget) -> Money:
    return Money.from_cents(topup.amount_cents, budget.unit.currency)


def _quantity_and_price(topup: Topup, budget: Budget) -> tuple[Decimal, Decimal]:
    """Hours budgets: hours at the hour price; money budgets: one unit of the amount."""
    hour_price = budget.unit.hour_price
    if hour_price is not None and topup.quantity_seconds:
        hours = (Decimal(topup.quantity_seconds) / SECONDS_PER_HOUR).quantize(_QUANTITY, ROUND_HALF_UP)
        return hours.normalize(), hour_price.amount
    return Decimal(1), topup_money(topup, budget).amount


def line_text(topup: Topup, budget: Budget, customer_name: str) -> str:
    """The invoice line, from the budget's template for top-ups, fixed wording for periods."""
    period = topup.period_key or topup.created_at.strftime("%Y-%m")
    if topup.kind == TopupKind.PERIOD_GRANT:
        return f"{budget.name}: allowance for {period}"
    if topup.kind == TopupKind.OVERAGE:
        return f"{budget.name}: overage for {period}"
    measure = (
        topup.quantity_seconds if budget.unit.is_hours and topup.quantity_seconds else topup.amount_cents
    )
    return budget.replenish.line_text.format(
        budget=budget.name,
        customer=customer_name,
        quantity=budget.unit.format(measure),
        amount=topup_money(topup, budget).format(),
        period=period,
    )[:500]


def draft_body(topup: Topup, budget: Budget, text: str) -> dict[str, Any]:
    """The `invoices.draft` request: invoicee, department, payment term, one line, the marker."""
    replenish = budget.replenish
    quantity, unit_price = _quantity_and_price(topup, budget)
    days = replenish.payment_term_days
    payment_term: dict[str, Any] = (
        {"type": "cash"} if days == 0 else {"type": "after_invoice_date", "days": days}
    )
    return {
        "invoicee": {"customer": {"type": budget.customer.type.value, "id": budget.customer.id}},
        "department_id": replenish.department_id,
        "payment_term": payment_term,
        "currency": {"code": budget.unit.currency},
        "purchase_order_number": topup.marker,
        "grouped_lines": [
            {
                "line_items": [
                    {
                        "quantity": quantity,
                        "description": text,
                        "unit_price": {"amount": unit_price, "tax": "excluding"},
                        "tax_rate_id": replenish.tax_rate_id,
                    }
                ]
            }
        ],
    }


def _exact(rows: Any, marker: str) -> list[Mapping[str, Any]]:
    return [row for row in rows if row.get("purchase_order_number") == marker]


def find_by_marker(api: InvoiceApi, marker: str) -> RemoteInvoice | None:
    """The invoice that carries `marker`, if Teamleader has one (the oldest, should there be two)."""
    found = _exact(api.list_invoices({"purchase_order_number": marker}), marker)
    if not found:
        found = _exact(api.list_invoices({"term": marker}), marker)
    if not found:
        return None
    found.sort(key=lambda row: str(row.get("created_at") or ""))
    if len(found) > 1:
        _log.error(
            "topup.duplicate_invoices",
            marker=marker,
            invoice_ids=[str(row["id"]) for row in found],
            hint="delete the newer drafts in Teamleader; the oldest is the top-up's invoice",
        )
    return RemoteInvoice.from_api(found[0])
