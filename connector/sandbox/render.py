"""Records -> Teamleader JSON, field for field as the official spec names them.

Datetimes come out as ISO-8601 with offset and no microseconds, durations in seconds, money as
`{amount, currency}` with exact decimals (teamleader-api.md §2.5, §3).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connector.sandbox.model import (
    Company,
    Contact,
    Milestone,
    Project,
    Ref,
    Ticket,
    TimeEntry,
    Todo,
    User,
)
from connector.sandbox.state import SandboxState

__all__ = [
    "company",
    "contact",
    "iso",
    "milestone",
    "project",
    "ref",
    "ticket",
    "time_entry",
    "todo",
    "user",
]

WEB = "https://focus.teamleader.eu"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def ref(value: Ref | None) -> dict[str, str] | None:
    return {"type": value[0], "id": value[1]} if value else None


def typed(kind: str, record_id: str | None) -> dict[str, str] | None:
    return {"type": kind, "id": record_id} if record_id else None


def amount(value: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": value, "currency": currency}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def user(state: SandboxState, record: User, *, me: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record.id,
        "account": {"type": "account", "id": state.account_id},
        "first_name": record.first_name,
        "last_name": record.last_name,
        "email": record.email,
        "telephones": [],
        "language": record.language,
        "function": record.function,
    }
    if me:
        data["email_verification_status"] = "confirmed"
        data["time_zone"] = "Europe/Brussels"
        data["preferences"] = {
            "invoiceable": True,
            "historic_time_tracking_limit": None,
            "whitelabeling": False,
        }
    else:
        data["status"] = record.status
        data["teams"] = []
    return data


def _custom_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"definition": {"type": "customFieldDefinition", "id": key}, "value": value}
        for key, value in values.items()
    ]


def company(record: Company, *, detail: bool, custom_fields: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "status": record.status,
        "business_type": None,
        "vat_number": record.vat_number,
        "national_identification_number": None,
        "emails": [{"type": "primary", "email": record.email}],
        "telephones": [{"type": "phone", "number": record.telephone}],
        "website": record.website,
        "primary_address": _address(record.line_1, record.postal_code, record.city, record.country),
        "iban": None,
        "bic": None,
        "language": record.language,
        "preferred_currency": "EUR",
        "payment_term": None,
        "invoicing_preferences": {"electronic_invoicing_address": None},
        "responsible_user": typed("user", record.responsible_user_id),
        "marketing_mails_consent": False,
        "added_at": iso(record.added_at),
        "updated_at": iso(record.updated_at),
        "web_url": f"{WEB}/company_detail.php?id={record.id}",
        "tags": list(record.tags),
    }
    if detail:
        data["addresses"] = [{"type": "primary", "address": data["primary_address"]}]
        data["remarks"] = record.remarks
    if detail or custom_fields:
        data["custom_fields"] = _custom_fields(record.custom_fields)
    return data


def _address(line_1: str, postal_code: str, city: str, country: str) -> dict[str, Any]:
    return {
        "line_1": line_1,
        "postal_code": postal_code,
        "city": city,
        "country": country,
        "area_level_two": None,
    }


def contact(record: Contact, *, detail: bool, custom_fields: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record.id,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "status": record.status,
        "salutation": None,
        "emails": [{"type": "primary", "email": record.email}],
        "telephones": [{"type": "mobile", "number": record.telephone}],
        "website": None,
        "primary_address": None,
        "gender": "unknown",
        "birthdate": None,
        "iban": None,
        "bic": None,
        "national_identification_number": None,
        "language": record.language,
        "payment_term": None,
        "invoicing_preferences": {"electronic_invoicing_address": None},
        "tags": list(record.tags),
        "marketing_mails_consent": False,
        "added_at": iso(record.added_at),
        "updated_at": iso(record.updated_at),
        "web_url": f"{WEB}/contact_detail.php?id={record.id}",
    }
    if detail:
        data["vat_number"] = None
        data["addresses"] = []
        data["remarks"] = record.remarks
        data["companies"] = [
            {
                "position": None,
                "secondary_position": None,
                "division": None,
                "decision_maker": False,
                "company": {"type": "company", "id": company_id},
            }
            for company_id in record.company_ids
        ]
    if detail or custom_fields:
        data["custom_fields"] = _custom_fields(record.custom_fields)
    return data


def time_entry(record: TimeEntry, includes: frozenset[str], *, detail: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record.id,
        "user": {"type": "user", "id": record.user_id},
        "work_type": typed("workType", record.work_type_id),
        "started_on": record.started_at.date().isoformat(),
        "started_at": iso(record.started_at),
        "ended_at": iso(record.ended_at),
        "duration": record.duration,
        "description": record.description,
        "subject": ref(record.subject),
        "invoiceable": record.invoiceable,
        "billing_info": None
        if record.billing_type is None
        else {"type": record.billing_type, "invoice": typed("invoice", record.billing_invoice_id)},
    }
    if record.hourly_rate is not None:
        data["hourly_rate"] = amount(record.hourly_rate, "EUR")
    if detail:
        data["locked"] = False
    if "materials" in includes:
        data["materials"] = []
    if "relates_to" in includes:
        data["relates_to"] = [ref(relation) for relation in record.relates_to]
    return data


def project(record: Project) -> dict[str, Any]:
    return {
        "id": record.id,
        "reference": record.reference,
        "title": record.title,
        "description": "",
        "status": record.status,
        "customer": ref(record.customer),
        "starts_on": record.starts_on.isoformat(),
        "due_on": None,
        "source": None,
        "milestones": [{"type": "milestone", "id": milestone_id} for milestone_id in record.milestone_ids],
        "participants": [],
        "purchase_order_number": None,
        "custom_fields": [],
    }


def milestone(record: Milestone) -> dict[str, Any]:
    return {
        "id": record.id,
        "project": {"type": "project", "id": record.project_id},
        "starts_on": record.starts_on.isoformat(),
        "due_on": record.due_on.isoformat(),
        "name": record.name,
        "description": "",
        "responsible_user": {"type": "user", "id": record.responsible_user_id},
        "status": record.status,
        "invoicing_method": "time_and_materials",
        "custom_fields": [],
    }


def ticket(record: Ticket) -> dict[str, Any]:
    return {
        "id": record.id,
        "reference": record.reference,
        "subject": record.subject,
        "status": {"type": "ticketStatus", "id": "open"},
        "assignee": {"type": "user", "id": record.assignee_id},
        "created_at": iso(record.created_at),
        "closed_at": None,
        "customer": ref(record.customer),
        "participant": None,
        "last_message_at": None,
        "description": "",
        "project": typed("project", record.project_id),
        "milestone": typed("milestone", record.milestone_id),
        "custom_fields": [],
    }


def todo(record: Todo, *, detail: bool) -> dict[str, Any]:
    """A task as `tasks.info` (detail: with `custom_fields`) or `tasks.list` (with `added_at`) shows it."""
    data: dict[str, Any] = {
        "id": record.id,
        "title": record.title,
        "description": "",
        "completed": False,
        "completed_at": None,
        "due_on": record.due_on.isoformat(),
        "estimated_duration": {"unit": "min", "value": record.estimated_minutes},
        "work_type": {"type": "workType", "id": record.work_type_id},
        "assignee": {"type": "user", "id": record.assignee_id},
        "customer": ref(record.customer),
        "milestone": typed("milestone", record.milestone_id),
        "deal": None,
        "project": typed("project", record.project_id),
        "ticket": None,
        "priority": "B",
    }
    if detail:
        data["custom_fields"] = []
    else:
        data["added_at"] = iso(record.added_at) if record.added_at else None
    return data
