"""The credit of a top-up: the row marked credited and the ledger line appended, in one transaction.

Shared by the worker (credit on booking) and the reconciler (credit on payment, or booking by a
person): the state guard of `outbox.transition` lets exactly one of them through, and the sink's
source key makes even a repeated call harmless.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from connector.invoicing import outbox
from connector.invoicing.model import Topup, TopupStatus
from connector.invoicing.ports import CreditSink

__all__ = ["credit_topup"]


def credit_topup(
    conn: Connection, topup: Topup, credits: CreditSink, number: str | None, *, actor: str, now: datetime
) -> Topup | None:
    """Mark a booked top-up credited and append its credit, in `conn`'s transaction; None when
    someone else already moved it (so the credit is appended once)."""
    assert topup.invoice_id is not None
    try:
        credited = outbox.transition(
            conn,
            topup,
            TopupStatus.CREDITED,
            actor=actor,
            now=now,
            detail=f"credit for invoice {number or topup.invoice_id}",
            invoice_number=number,
            credited_at=now,
            lease_until=None,
            next_attempt_at=None,
        )
    except outbox.Superseded:
        return None
    credits.credit(
        conn,
        budget_id=topup.budget_id,
        topup_id=topup.id,
        invoice_id=topup.invoice_id,
        invoice_number=number,
        amount_cents=topup.amount_cents,
        quantity_seconds=topup.quantity_seconds,
        now=now,
    )
    return credited
