"""Time tracking entries, as `timeTracking.list` and `.info` return them.

`duration` is seconds. `started_at`/`ended_at` may be null (duration-only entries); `billing_info`
may be null, absent or present; `hourly_rate` is present only when the authorising user may see
invoicing. `relates_to` appears with `includes=relates_to` and is where the customer of an entry
tracked on a milestone, ticket or task is found.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from connector.teamleader.models.base import Money, Reference, TeamleaderModel

__all__ = ["BillingInfo", "TimeEntry"]

CUSTOMER_TYPES = ("company", "contact")


class BillingInfo(TeamleaderModel):
    """How an entry was billed: `invoice` (with the invoice) or `prepaid` (semantics undocumented)."""

    type: str | None = None
    invoice: Reference | None = None


class TimeEntry(TeamleaderModel):
    """One tracked period of work by one user."""

    id: str
    user: Reference | None = None
    work_type: Reference | None = None
    started_on: date
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration: int
    description: str | None = None
    subject: Reference | None = None
    invoiceable: bool = False
    billing_info: BillingInfo | None = None
    hourly_rate: Money | None = None
    relates_to: list[Reference] = Field(default_factory=list)
    locked: bool | None = None

    @property
    def direct_customer(self) -> Reference | None:
        """The company or contact this entry names, directly as subject or through `relates_to`."""
        if self.subject is not None and self.subject.type in CUSTOMER_TYPES:
            return self.subject
        return next((ref for ref in self.relates_to if ref.type in CUSTOMER_TYPES), None)
