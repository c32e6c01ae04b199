"""The records the sandbox keeps in memory, one dataclass per Teamleader resource.

Fields hold domain values (aware UTC datetimes, Decimal money, ids as strings); turning them into
Teamleader's JSON is `render`'s job, so a record can be indexed and compared cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

__all__ = [
    "Company",
    "Contact",
    "CreditNote",
    "CustomFieldDefinition",
    "Department",
    "Invoice",
    "Milestone",
    "Payment",
    "PaymentTerm",
    "Project",
    "Ref",
    "TaxRate",
    "Ticket",
    "TimeEntry",
    "Todo",
    "User",
    "WorkType",
]

Ref = tuple[str, str]
"""A `{type, id}` reference, e.g. `("company", "…")`."""


@dataclass(slots=True)
class User:
    id: str
    first_name: str
    last_name: str
    email: str
    function: str
    language: str
    status: str
    hourly_rate: Decimal | None


@dataclass(slots=True)
class WorkType:
    id: str
    name: str


@dataclass(slots=True)
class Department:
    id: str
    name: str
    vat_number: str
    currency: str
    email: str
    status: str
    created_at: datetime
    is_default: bool


@dataclass(slots=True)
class TaxRate:
    id: str
    description: str
    rate: Decimal
    department_id: str


@dataclass(slots=True)
class PaymentTerm:
    id: str
    type: str
    days: int | None


@dataclass(slots=True)
class CustomFieldDefinition:
    id: str
    context: str
    type: str
    label: str


@dataclass(slots=True)
class Company:
    id: str
    name: str
    vat_number: str | None
    email: str
    telephone: str
    website: str
    city: str
    postal_code: str
    line_1: str
    country: str
    language: str
    status: str
    tags: list[str]
    responsible_user_id: str | None
    added_at: datetime
    updated_at: datetime
    remarks: str = ""
    custom_fields: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Contact:
    id: str
    first_name: str
    last_name: str
    email: str
    telephone: str
    language: str
    status: str
    tags: list[str]
    company_ids: list[str]
    added_at: datetime
    updated_at: datetime
    remarks: str = ""
    custom_fields: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Project:
    id: str
    reference: str
    title: str
    customer: Ref
    starts_on: date
    status: str
    milestone_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Milestone:
    id: str
    project_id: str
    name: str
    starts_on: date
    due_on: date
    status: str
    responsible_user_id: str


@dataclass(slots=True)
class Ticket:
    id: str
    reference: int
    subject: str
    customer: Ref
    project_id: str | None
    milestone_id: str | None
    assignee_id: str
    created_at: datetime


@dataclass(slots=True)
class Todo:
    """A task (`tasks.*`); time tracked on it names it as a `todo` subject (teamleader-api.md §5.12).

    A task may have no customer at all, and it may hang on a milestone (hence a project) or not.
    """

    id: str
    title: str
    customer: Ref | None
    project_id: str | None
    milestone_id: str | None
    assignee_id: str
    work_type_id: str
    due_on: date
    added_at: datetime | None = None
    estimated_minutes: int = 60


@dataclass(slots=True)
class TimeEntry:
    id: str
    user_id: str
    work_type_id: str | None
    started_at: datetime
    duration: int
    description: str
    subject: Ref | None
    invoiceable: bool
    billing_type: str | None
    billing_invoice_id: str | None
    hourly_rate: Decimal | None
    relates_to: tuple[Ref, ...] = ()

    @property
    def ended_at(self) -> datetime:
        return self.started_at + timedelta(seconds=self.duration)


@dataclass(slots=True)
class Payment:
    amount: Decimal
    paid_at: datetime


@dataclass(slots=True)
class Invoice:
    id: str
    department_id: str
    customer: Ref
    for_attention_of: dict[str, Any] | None
    payment_term: dict[str, Any]
    grouped_lines: list[dict[str, Any]]
    currency: str
    purchase_order_number: str | None
    note: str | None
    discounts: list[dict[str, Any]]
    project_id: str | None
    invoice_date: date | None
    created_at: datetime
    updated_at: datetime
    status: str = "draft"
    invoice_number: str | None = None
    sequence: int | None = None
    due_on: date | None = None
    payments: list[Payment] = field(default_factory=list)
    credit_note_ids: list[str] = field(default_factory=list)
    custom_fields: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class CreditNote:
    id: str
    invoice_id: str
    department_id: str
    customer: Ref
    credit_note_number: str
    credit_note_date: date
    amount_excl: Decimal
    taxes: list[tuple[Decimal, Decimal, Decimal]]
    currency: str
    created_at: datetime
    updated_at: datetime
