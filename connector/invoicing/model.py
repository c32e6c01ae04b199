"""The top-up as the invoicing code sees it: its states, its kinds, and the invoice Teamleader holds.

`Topup` is a read-only view of one outbox row; changes go through `outbox.transition`, which
writes the row and its audit event together. `RemoteInvoice` is the part of Teamleader's
`invoices.info`/`invoices.list` answer that the state machine decides on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import RowMapping

from connector.storage.tables.invoicing import OPEN_TOPUP_STATUSES

__all__ = ["OPEN_STATUSES", "RemoteInvoice", "Topup", "TopupKind", "TopupStatus"]


class TopupStatus(StrEnum):
    PLANNED = "planned"
    DRAFTING = "drafting"
    DRAFTED = "drafted"
    BOOKING = "booking"
    BOOKED = "booked"
    CREDITED = "credited"
    FAILED = "failed"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset(TopupStatus(value) for value in OPEN_TOPUP_STATUSES)


class TopupKind(StrEnum):
    """Why the invoice is owed: a threshold crossing, a period's grant, or a period's overage."""

    TOPUP = "topup"
    PERIOD_GRANT = "period_grant"
    OVERAGE = "overage"


@dataclass(frozen=True, slots=True)
class Topup:
    """One outbox row."""

    id: str
    budget_id: str
    kind: str
    period_key: str | None
    status: TopupStatus
    reason: str
    amount_cents: int
    currency: str | None
    quantity_seconds: int | None
    marker: str
    line_text: str | None
    invoice_id: str | None
    invoice_number: str | None
    attempts: int
    last_error: str | None
    owner: str | None
    lease_until: datetime | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    drafted_at: datetime | None
    booked_at: datetime | None
    credited_at: datetime | None
    reversed_at: datetime | None
    draft_sent_at: datetime | None = None
    """When the last `invoices.draft` was sent: a draft whose answer never came is sent again only
    once `resend_after` has passed since, so a late-applied one is found by its marker first."""

    @classmethod
    def from_row(cls, row: RowMapping) -> Topup:
        values = dict(row)
        values["status"] = TopupStatus(values["status"])
        return cls(**values)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class RemoteInvoice:
    """An invoice as Teamleader reports it; `paid` means matched by at least one payment."""

    id: str
    status: str
    invoice_number: str | None
    purchase_order_number: str | None
    paid: bool

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def is_booked(self) -> bool:
        """Booked in Teamleader: outstanding or matched (there is no `booked` status)."""
        return self.status in ("outstanding", "matched")

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> RemoteInvoice:
        """From an `invoices.info` or `invoices.list` row; payments only come with `info`."""
        payments = data.get("payments") or []
        paid_total = sum(
            (Decimal(str(item.get("payment", {}).get("amount", 0))) for item in payments), Decimal(0)
        )
        status = str(data.get("status") or "")
        return cls(
            id=str(data["id"]),
            status=status,
            invoice_number=data.get("invoice_number"),
            purchase_order_number=data.get("purchase_order_number"),
            paid=status == "matched" and paid_total > 0,
        )
