"""The sandbox's in-memory Teamleader account: every record, its indexes, and record changes.

All changes to companies, contacts, tasks and time entries go through the methods here, so indexes and
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
        self.task_json = FragmentCache()
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
        """What `includes=relates_to` lists: the subject's project, milestone, ticket and customer.

        For a task (`todo`) only its milestone and project: the real `relates_to` carries neither
        the task nor the task's customer (issue 16), so a client must look that up with
        `tasks.list`/`tasks.info`; and a task without a customer does not inherit the project's.
        """
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
            milestone_id, project_id = todo.milestone_id, todo.project_id
        if milestone_id is not None and milestone_id in self.milestones:
            related.append(("milestone", milestone_id))
            project_id = project_id or self.milestones[milestone_id].project_id
        if project_id is not None and project_id in self.projects:
            related.append(("project", project_id))
            if kind != "todo":
                customer = customer or self.projects[project_id].customer
        if customer is not None:
            related.append(customer)
        return tuple(related)

    def customer_of(self, entry: TimeEntry) -> Ref | None:
        """The customer an entry's time belongs to, including a task's own customer."""
        subject = entry.subject
        if subject is not None and subject[0] == "todo":
            todo = self.todos.get(subject[1])
            return todo.customer if todo is not None else None
        return next((item for item in entry.relates_to if item[0] in ("company", "contact")), None)

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

    def add_task(self, task: Todo) -> Todo:
        self._check_task(task)
        self.todos[task.id] = task
        self.emit("task.created", ("task", task.id))
        return task

    def update_task(self, task_id: str, changes: dict[str, Any]) -> Todo:
        """Changes a task (e.g. moves it to another milestone, changes or clears its customer).

        The project follows the milestone unless given; the entries tracked on the task get their
        new `relates_to` (and lose their kept JSON), and `task.updated` fires, as in Teamleader.
        """
        current = self._get(self.todos, task_id, "task")
        allowed = {item.name for item in fields(Todo)} - {"id", "added_at"}
        unknown = set(changes) - allowed
        if unknown:
            raise ApiError(400, f"cannot change {', '.join(sorted(unknown))} of a task")
        if "milestone_id" in changes and "project_id" not in changes:
            milestone = self.milestones.get(changes["milestone_id"] or "")
            changes = {**changes, "project_id": milestone.project_id if milestone else None}
        updated = replace(current, **changes)
        self._check_task(updated)
        self.todos[task_id] = updated
        self.task_json.forget(task_id)
        self._relink_entries(("todo", task_id))
        self.emit("task.updated", ("task", task_id))
        return updated

    def delete_task(self, task_id: str) -> None:
        """Removes a task; time tracked on it keeps naming it, so a lookup of it answers 404."""
        self._get(self.todos, task_id, "task")
        del self.todos[task_id]
        self.task_json.forget(task_id)
        self._relink_entries(("todo", task_id))
        self.emit("task.deleted", ("task", task_id))

    def _relink_entries(self, subject: Ref) -> None:
        relations = self.relations(subject)
        for entry_id in self.time_index.on_subject(subject):
            current = self.entries[entry_id]
            if current.relates_to == relations:
                continue
            updated = replace(current, relates_to=relations)
            self.time_index.remove(current)
            self.entries[entry_id] = updated
            self.entry_json.forget(entry_id)
            self.time_index.add(updated)

    def _check_task(self, task: Todo) -> None:
        if task.customer is not None and not self.customer_exists(task.customer):
            raise ApiError(400, f"customer {task.customer[0]} {task.customer[1]} does not exist")
        if task.milestone_id is not None and task.milestone_id not in self.milestones:
            raise ApiError(400, f"milestone {task.milestone_id} does not exist")
        if task.project_id is not None and task.project_id not in self.projects:
            raise ApiError(400, f"project {task.project_id} does not exist")
        if task.assignee_id not in self.users:
            raise ApiError(400, f"user {task.assignee_id} does not exist")
        if task.work_type_id not in self.work_types:
            raise ApiError(400, f"work type {task.work_type_id} does not exist")

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
