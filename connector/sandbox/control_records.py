"""Control-API bodies -> records and changes, for edits made "in Teamleader" by tests and demos.

Time entries: `{user_id, work_type_id, started_at, duration, description, subject {type, id} | null,
invoiceable, billing_info {type, invoice: {id} | null} | null, hourly_rate}`; every key optional
on update, sensible defaults on create (the current user, one hour, starting now).

Tasks: `{title, customer {type, id} | null, milestone_id | null, project_id | null, assignee_id,
work_type_id, due_on}`; on update the project follows the milestone unless given, and
`customer: null` clears the customer. A new task has no customer and no milestone by default.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector.sandbox.errors import ApiError
from connector.sandbox.listing import parse_datetime
from connector.sandbox.model import Company, Contact, Ref, TimeEntry, Todo

if TYPE_CHECKING:
    from connector.sandbox.core import Sandbox

__all__ = [
    "add_company",
    "add_contact",
    "add_entry",
    "add_task",
    "company_changes",
    "contact_changes",
    "entry_changes",
    "task_changes",
]


def _subject(raw: Any) -> Ref | None:
    if raw is None:
        return None
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("type"), str)
        or not isinstance(raw.get("id"), str)
    ):
        raise ApiError(400, "subject must be {type, id} or null")
    return (raw["type"], raw["id"])


def entry_changes(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("user_id", "work_type_id", "description"):
        if key in body:
            changes[key] = body[key]
    if "started_at" in body:
        changes["started_at"] = parse_datetime(body["started_at"], "started_at")
    if "duration" in body:
        changes["duration"] = int(body["duration"])
    if "subject" in body:
        changes["subject"] = _subject(body["subject"])
    if "invoiceable" in body:
        changes["invoiceable"] = bool(body["invoiceable"])
    if "billing_info" in body:
        billing = body["billing_info"]
        if billing is None:
            changes["billing_type"], changes["billing_invoice_id"] = None, None
        else:
            if billing.get("type") not in ("invoice", "prepaid"):
                raise ApiError(400, "billing_info.type must be invoice or prepaid")
            invoice = billing.get("invoice")
            changes["billing_type"] = billing["type"]
            changes["billing_invoice_id"] = invoice["id"] if isinstance(invoice, dict) else None
    if "hourly_rate" in body:
        rate = body["hourly_rate"]
        changes["hourly_rate"] = None if rate is None else Decimal(rate)
    return changes


def add_entry(sandbox: Sandbox, body: dict[str, Any]) -> TimeEntry:
    state = sandbox.state
    user_id = body.get("user_id", state.current_user_id)
    user = state.users.get(user_id)
    entry = TimeEntry(
        id=str(uuid.uuid4()),
        user_id=user_id,
        work_type_id=next(iter(state.work_types), None),
        started_at=sandbox.now(),
        duration=3600,
        description="",
        subject=None,
        invoiceable=True,
        billing_type=None,
        billing_invoice_id=None,
        hourly_rate=user.hourly_rate if user else None,
    )
    for key, value in entry_changes(sandbox, body).items():
        setattr(entry, key, value)
    return state.add_entry(entry)


def company_changes(body: dict[str, Any]) -> dict[str, Any]:
    allowed = ("name", "vat_number", "email", "telephone", "website", "status", "tags", "remarks", "language")
    return {key: body[key] for key in allowed if key in body}


def add_company(sandbox: Sandbox, body: dict[str, Any]) -> Company:
    now = sandbox.now()
    company = Company(
        id=str(uuid.uuid4()),
        name=str(body.get("name", "New company")),
        vat_number=body.get("vat_number"),
        email=str(body.get("email", "info@example.be")),
        telephone=str(body.get("telephone", "")),
        website=str(body.get("website", "")),
        city=str(body.get("city", "Ghent")),
        postal_code=str(body.get("postal_code", "9000")),
        line_1=str(body.get("line_1", "")),
        country="BE",
        language=str(body.get("language", "nl")),
        status=str(body.get("status", "active")),
        tags=list(body.get("tags", [])),
        responsible_user_id=sandbox.state.current_user_id,
        added_at=now,
        updated_at=now,
    )
    return sandbox.state.add_company(company)


def contact_changes(body: dict[str, Any]) -> dict[str, Any]:
    allowed = (
        "first_name",
        "last_name",
        "email",
        "telephone",
        "status",
        "tags",
        "remarks",
        "language",
        "company_ids",
    )
    return {key: body[key] for key in allowed if key in body}


def add_contact(sandbox: Sandbox, body: dict[str, Any]) -> Contact:
    now = sandbox.now()
    contact = Contact(
        id=str(uuid.uuid4()),
        first_name=str(body.get("first_name", "New")),
        last_name=str(body.get("last_name", "Contact")),
        email=str(body.get("email", "contact@example.be")),
        telephone=str(body.get("telephone", "")),
        language=str(body.get("language", "nl")),
        status=str(body.get("status", "active")),
        tags=list(body.get("tags", [])),
        company_ids=list(body.get("company_ids", [])),
        added_at=now,
        updated_at=now,
    )
    return sandbox.state.add_contact(contact)


def _customer(raw: Any) -> Ref | None:
    customer = _subject(raw)
    if customer is not None and customer[0] not in ("company", "contact"):
        raise ApiError(400, "customer must be {type: company or contact, id} or null")
    return customer


def task_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("title", "assignee_id", "work_type_id", "milestone_id", "project_id"):
        if key in body:
            changes[key] = body[key]
    if "customer" in body:
        changes["customer"] = _customer(body["customer"])
    if "due_on" in body:
        try:
            changes["due_on"] = date.fromisoformat(str(body["due_on"]))
        except ValueError as exc:
            raise ApiError(400, "due_on must be a date, YYYY-MM-DD") from exc
    return changes


def add_task(sandbox: Sandbox, body: dict[str, Any]) -> Todo:
    state = sandbox.state
    now = sandbox.now()
    changes = task_changes(body)
    milestone = state.milestones.get(changes.get("milestone_id") or "")
    task = Todo(
        id=str(uuid.uuid4()),
        title="New task",
        customer=None,
        project_id=milestone.project_id if milestone else None,
        milestone_id=None,
        assignee_id=state.current_user_id,
        work_type_id=next(iter(state.work_types), ""),
        due_on=now.date(),
        added_at=now,
    )
    for key, value in changes.items():
        setattr(task, key, value)
    return state.add_task(task)
