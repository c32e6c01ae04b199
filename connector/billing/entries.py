"""The time entry as the billing domain sees a synced Teamleader time entry.

Sync owns the copy; the domain only needs what decides subtraction and valuation. `revision`
grows whenever sync sees any of these fields change, so a replayed batch (same revision) is
recognised as nothing new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from connector.billing.errors import InvalidTimeEntry
from connector.billing.money import Money

__all__ = ["BillingType", "CustomerRef", "CustomerType", "TimeEntry", "tags_of", "words_of"]

_TAG = re.compile(r"#([\w-]+)")
_WORD = re.compile(r"[\w-]+")


class CustomerType(StrEnum):
    COMPANY = "company"
    CONTACT = "contact"


class BillingType(StrEnum):
    """Teamleader's `billing_info.type`: the entry was already invoiced, or settled by its prepaid."""

    INVOICE = "invoice"
    PREPAID = "prepaid"


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """A Teamleader company or contact, by its Teamleader id."""

    type: CustomerType
    id: str

    def __str__(self) -> str:
        return f"{self.type.value}:{self.id}"


@dataclass(frozen=True, slots=True)
class TimeEntry:
    """A synced Teamleader time entry; `customer` is None while sync cannot resolve it."""

    id: str
    customer: CustomerRef | None
    user_id: str
    work_type_id: str | None
    started_on: date
    started_at: datetime | None
    duration_seconds: int
    description: str = ""
    subject_type: str | None = None
    invoiceable: bool = True
    billing_type: BillingType | None = None
    billing_invoice_id: str | None = None
    hourly_rate: Money | None = None
    deleted: bool = False
    revision: int = 1

    def __post_init__(self) -> None:
        if self.started_at is not None and self.started_at.utcoffset() is None:
            raise InvalidTimeEntry(f"time entry {self.id}: started_at {self.started_at} has no time zone")
        if self.duration_seconds < 0:
            raise InvalidTimeEntry(f"time entry {self.id}: negative duration {self.duration_seconds}s")
        if self.revision < 1:
            raise InvalidTimeEntry(f"time entry {self.id}: revision must start at 1")

    def local_date(self, zone: ZoneInfo) -> date:
        """The day the entry started in the budget's time zone; Teamleader's date when no time."""
        if self.started_at is None:
            return self.started_on
        return self.started_at.astimezone(zone).date()


def tags_of(description: str) -> frozenset[str]:
    """'#Support call #urgent' gives {'support', 'urgent'}: tags compare case-insensitively."""
    return frozenset(tag.casefold() for tag in _TAG.findall(description))


def words_of(description: str) -> frozenset[str]:
    """The description's words, case-folded, so rules match whole words and not fragments."""
    return frozenset(word.casefold() for word in _WORD.findall(description))
