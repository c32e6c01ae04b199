"""The sandbox's in-memory Teamleader account: every record, its indexes, and record changes.

All changes to companies, contacts and time entries go through the methods here, so indexes and
the records' pre-rendered JSON (`fragments`) stay right and every change emits the webhook event
Teamleader would send (teamleader-api.md §4.2).
Invoices have their own rules in `invoicing`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import datetime
from typing import Any, TypeVar

from connector.sandbox.errors import ApiError
from connector.sandbox.fragments import FragmentCache
from connector.sandbox.model import (
    Company,
    Contact,
    CreditNote,
    CustomFieldDefinition,
    Department,
    Invoice,
    Milestone,
    PaymentTerm,
    Project,
    Ref,
    TaxRate,
    Ticket,
    TimeEntry,
    Todo,
    User,
    WorkType,
)
from connector.sandbox.timeindex import TimeIndex

__all__ = ["EventSink", "SandboxState"]

EventSink = Callable[[str, Ref], None]
T = TypeVar("T")
Record = TypeVar("Record", Company, Contact)

SUBJECT_TYPES = ("company", "contact", "event", "todo", "milestone", "ticket")


class SandboxState:
    """One Teamleader account's data. Hold `lock` while reading from another thread."""

    def __init__(self, account_id: str) -> None:
        self.lock = threading.RLock()
        self.account_id = account_id
        self.current_user_id = ""
        self.users: dict[str, User] = {}
        self.work_types: dict[str, WorkType] = {}
        self.departments: dict[str, Department] = {}
        self.tax_rates: dict[str, TaxRate] = {}
        self.payment_terms: dict[str, PaymentTerm] = {}
        self.default_payment_term_id = ""
        self.custom_field_definitions: dict[str, CustomFieldDefinition] = {}
        self.companies: dict[str, Company] = {}
        self.contacts: dict[str, Contact] = {}
        self.projects: dict[str, Project] = {}
        self.milestones: dict[str, Milestone] = {}
        self.tickets: dict[str, Ticket] = {}
        self.todos: dict[str, Todo] = {}
        self.entries: dict[str, TimeEntry] = {}
        self.invoices: dict[str, Invoice] = {}
        self.credit_notes: dict[str, CreditNote] = {}
        self.time_index = TimeIndex()
        self.entry_json = FragmentCache()
        self.company_json = FragmentCache()
        self.contact_json = FragmentCache()
        self.on_event: EventSink = _ignore

    def emit(self, event_type: str, subject: Ref) -> None:
        self.on_event(event_type, subject)

    def customer_exists(self, customer: Ref) -> bool:
        kind, customer_id = customer
        return (kind == "company" and customer_id in self.companies) or (
            kind == "contact" and customer_id in self.contacts
        )

    def subject_exists(self, subject: Ref) -> bool:
        kind, subject_id = subject
        tables: dict[str, dict[str, Any]] = {
            "company": self.companies,
            "contact": self.contacts,
            "milestone": self.milestones,
            "ticket": self.tickets,
            "todo": self.todos,
        }
        table = tables.get(kind)
        return table is not None and subject_id in table

    def relations(self, subject: Ref | None) -> tuple[Ref, ...]:
        """What `includes=relates_to` lists: the subject's project, milestone, ticket and customer."""
        if subject is None:
            return ()
        kind, subject_id = subject
        if kind in ("company", "contact"):
            return (subject,)
        related: list[Ref] = []
        customer: Ref | None = None
        milestone_id: str | None = None
        project_id: str | None = None
        if kind == "milestone" and subject_id in self.milestones:
            milestone_id = subject_id
        elif kind == "ticket" and subject_id in self.tickets:
            ticket = self.tickets[subject_id]
            related.append(("ticket", subject_id))
            customer, milestone_id, project_id = ticket.customer, ticket.milestone_id, ticket.project_id
        elif kind == "todo" and subject_id in self.todos:
            todo = self.todos[subject_id]
            customer, milestone_id, project_id = todo.customer, todo.milestone_id, todo.project_id
        if milestone_id is not None and milestone_id in self.milestones:
            related.append(("milestone", milestone_id))
            project_id = project_id or self.milestones[milestone_id].project_id
        if project_id is not None and project_id in self.projects:
            related.append(("project", project_id))
            customer = customer or self.projects[project_id].customer
        if customer is not None:
            related.append(customer)
        return tuple(related)

    def load_entries(self, entries: list[TimeEntry]) -> None:
        """Adds many entries without events (seeding)."""
        for entry in entries:
            entry.relates_to = self.relations(entry.subject)
            self.entries[entry.id] = entry
        self.time_index.bulk_load(entries)

    def add_entry(self, entry: TimeEntry) -> TimeEntry:
        self._check_entry(entry)
        entry.relates_to = self.relations(entry.subject)
        self.entries[entry.id] = entry
        self.time_index.add(entry)
        self.emit("timeTracking.added", ("timeTracking", entry.id))
        return entry

    def update_entry(self, entry_id: str, changes: dict[str, Any]) -> TimeEntry:
        current = self._get(self.entries, entry_id, "time tracking")
        allowed = {item.name for item in fields(TimeEntry)} - {"id", "relates_to"}
        unknown = set(changes) - allowed
        if unknown:
            raise ApiError(400, f"cannot change {', '.join(sorted(unknown))} of a time entry")
        updated = replace(current, **changes)
        self._check_entry(updated)
        updated.relates_to = self.relations(updated.subject)
        self.time_index.remove(current)
        self.entries[entry_id] = updated
        self.entry_json.forget(entry_id)
        self.time_index.add(updated)
        self.emit("timeTracking.updated", ("timeTracking", entry_id))
        return updated

    def delete_entry(self, entry_id: str) -> None:
        current = self._get(self.entries, entry_id, "time tracking")
        self.time_index.remove(current)
        del self.entries[entry_id]
        self.entry_json.forget(entry_id)
        self.emit("timeTracking.deleted", ("timeTracking", entry_id))

    def _check_entry(self, entry: TimeEntry) -> None:
        if entry.user_id not in self.users:
            raise ApiError(400, f"user {entry.user_id} does not exist")
        if entry.work_type_id is not None and entry.work_type_id not in self.work_types:
            raise ApiError(400, f"work type {entry.work_type_id} does not exist")
        if entry.subject is not None and not self.subject_exists(entry.subject):
            raise ApiError(400, f"subject {entry.subject[0]} {entry.subject[1]} does not exist")
        if entry.duration < 0:
            raise ApiError(400, "duration must not be negative")
        if entry.started_at.tzinfo is None:
            raise ApiError(400, "started_at needs a timezone offset")

    def add_company(self, company: Company) -> Company:
        self.companies[company.id] = company
        self.emit("company.added", ("company", company.id))
        return company

    def update_company(self, company_id: str, changes: dict[str, Any], now: datetime) -> Company:
        company = self._get(self.companies, company_id, "company")
        updated = _apply(company, changes, now, "company")
        self.companies[company_id] = updated
        self.company_json.forget(company_id)
        self.emit("company.updated", ("company", company_id))
        return updated

    def delete_company(self, company_id: str) -> None:
        self._get(self.companies, company_id, "company")
        del self.companies[company_id]
        self.company_json.forget(company_id)
        self.emit("company.deleted", ("company", company_id))

    def add_contact(self, contact: Contact) -> Contact:
        for company_id in contact.company_ids:
            self._get(self.companies, company_id, "company")
        self.contacts[contact.id] = contact
        self.emit("contact.added", ("contact", contact.id))
        return contact

    def update_contact(self, contact_id: str, changes: dict[str, Any], now: datetime) -> Contact:
        contact = self._get(self.contacts, contact_id, "contact")
        for company_id in changes.get("company_ids", []):
            self._get(self.companies, company_id, "company")
        updated = _apply(contact, changes, now, "contact")
        self.contacts[contact_id] = updated
        self.contact_json.forget(contact_id)
        self.emit("contact.updated", ("contact", contact_id))
        return updated

    def delete_contact(self, contact_id: str) -> None:
        self._get(self.contacts, contact_id, "contact")
        del self.contacts[contact_id]
        self.contact_json.forget(contact_id)
        self.emit("contact.deleted", ("contact", contact_id))

    @staticmethod
    def _get(table: dict[str, T], record_id: str, label: str) -> T:
        record = table.get(record_id)
        if record is None:
            raise ApiError(404, f"{label} {record_id} not found")
        return record


def _apply(record: Record, changes: dict[str, Any], now: datetime, label: str) -> Record:
    allowed = {item.name for item in fields(record)} - {"id", "added_at", "updated_at"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApiError(400, f"cannot change {', '.join(sorted(unknown))} of a {label}")
    return replace(record, **changes, updated_at=now)


def _ignore(event_type: str, subject: Ref) -> None:
    """The default event sink, until a webhook dispatcher is attached."""
