"""CRM and reference-data endpoints: users, work types, departments, tax rates, payment terms,
custom field definitions, companies, contacts, and the project records a time entry can hang on.

`departments.list` ignores `page` and always answers everything (the T2DB infinite-loop trap of
teamleader-api.md §2.4); companies and contacts honour `updated_since` and sort `updated_at`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from connector.sandbox import render
from connector.sandbox.errors import ApiError
from connector.sandbox.listing import (
    Reply,
    filters,
    includes,
    parse_datetime,
    required_id,
    sort_field,
    sorted_page,
)
from connector.sandbox.model import Company, Contact

if TYPE_CHECKING:
    from connector.sandbox.core import Sandbox

__all__ = ["HANDLERS"]

Handler = Callable[["Sandbox", dict[str, Any]], Reply]
T = TypeVar("T")


def _ids(wanted: dict[str, Any]) -> set[str] | None:
    ids = wanted.get("ids")
    return set(ids) if isinstance(ids, list) else None


def users_me(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    state = sandbox.state
    return 200, {"data": render.user(state, state.users[state.current_user_id], me=True)}


def users_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    state = sandbox.state
    wanted = filters(body)
    ids, term, statuses = _ids(wanted), str(wanted.get("term", "")).lower(), wanted.get("status")
    rows = [
        user
        for user in state.users.values()
        if (ids is None or user.id in ids)
        and (not statuses or user.status in statuses)
        and term in f"{user.first_name} {user.last_name} {user.email}".lower()
    ]
    keys: dict[str, Callable[[Any], Any]] = {
        "first_name": lambda user: (user.first_name, user.id),
        "last_name": lambda user: (user.last_name, user.id),
        "email": lambda user: (user.email, user.id),
        "function": lambda user: (user.function, user.id),
    }
    return 200, {"data": [render.user(state, user) for user in sorted_page(rows, body, keys, "first_name")]}


def work_types_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    wanted = filters(body)
    ids, term = _ids(wanted), str(wanted.get("term", "")).lower()
    rows = [
        work_type
        for work_type in sandbox.state.work_types.values()
        if (ids is None or work_type.id in ids) and term in work_type.name.lower()
    ]
    keys: dict[str, Callable[[Any], Any]] = {"name": lambda work_type: (work_type.name, work_type.id)}
    page_rows = sorted_page(rows, body, keys, "name")
    return 200, {"data": [{"id": work_type.id, "name": work_type.name} for work_type in page_rows]}


def departments_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    wanted = filters(body)
    ids, statuses = _ids(wanted), wanted.get("status")
    rows = [
        department
        for department in sandbox.state.departments.values()
        if (ids is None or department.id in ids) and (not statuses or department.status in statuses)
    ]
    keys: dict[str, Callable[[Any], Any]] = {
        "name": lambda department: (department.name, department.id),
        "created_at": lambda department: (department.created_at, department.id),
        "default_department": lambda department: (not department.is_default, department.name),
    }
    field, descending = sort_field(body, tuple(keys), "name")
    rows.sort(key=keys[field], reverse=descending)
    data = [
        {
            "id": department.id,
            "name": department.name,
            "vat_number": department.vat_number,
            "currency": department.currency,
            "emails": [{"type": "primary", "email": department.email}],
            "status": department.status,
        }
        for department in rows
    ]
    return 200, {"data": data}


def tax_rates_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    department_id = filters(body).get("department_id")
    rows = [
        rate
        for rate in sandbox.state.tax_rates.values()
        if department_id is None or rate.department_id == department_id
    ]
    keys: dict[str, Callable[[Any], Any]] = {
        "department_id": lambda rate: (rate.department_id, -rate.rate),
        "rate": lambda rate: (rate.rate, rate.department_id),
        "description": lambda rate: (rate.description, rate.department_id),
    }
    data = [
        {
            "id": rate.id,
            "description": rate.description,
            "rate": rate.rate,
            "department": {"type": "department", "id": rate.department_id},
        }
        for rate in sorted_page(rows, body, keys, "department_id")
    ]
    return 200, {"data": data}


def payment_terms_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    state = sandbox.state
    data: list[dict[str, Any]] = []
    for term in state.payment_terms.values():
        row: dict[str, Any] = {"id": term.id, "type": term.type}
        if term.days is not None:
            row["days"] = term.days
        data.append(row)
    return 200, {"data": data, "meta": {"default": state.default_payment_term_id}}


def custom_field_definitions_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    wanted = filters(body)
    ids, context = _ids(wanted), wanted.get("context")
    rows = [
        definition
        for definition in sandbox.state.custom_field_definitions.values()
        if (ids is None or definition.id in ids) and (context is None or definition.context == context)
    ]
    keys: dict[str, Callable[[Any], Any]] = {
        "label": lambda definition: (definition.label, definition.id),
        "context": lambda definition: (definition.context, definition.label),
    }
    data: list[dict[str, Any]] = [
        {
            "id": definition.id,
            "context": definition.context,
            "type": definition.type,
            "label": definition.label,
            "group": None,
            "required": False,
            "configuration": {},
        }
        for definition in sorted_page(rows, body, keys, "label")
    ]
    return 200, {"data": data}


def _party_filter(wanted: dict[str, Any]) -> Callable[[Company | Contact], bool]:
    ids = _ids(wanted)
    since: datetime | None = None
    if "updated_since" in wanted:
        since = parse_datetime(wanted["updated_since"], "filter.updated_since")
    status = wanted.get("status")
    tags = wanted.get("tags") or []
    email = (wanted.get("email") or {}).get("email")

    def keep(record: Company | Contact) -> bool:
        return (
            (ids is None or record.id in ids)
            and (since is None or record.updated_at >= since)
            and (status is None or record.status == status)
            and all(tag in record.tags for tag in tags)
            and (email is None or record.email == email)
        )

    return keep


def companies_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    wanted = filters(body)
    keep = _party_filter(wanted)
    term = str(wanted.get("term", "")).lower()
    vat_number = wanted.get("vat_number")
    rows = [
        company
        for company in sandbox.state.companies.values()
        if keep(company)
        and (
            not term
            or term in company.name.lower()
            or term in company.email
            or term in (company.vat_number or "")
        )
        and (vat_number is None or company.vat_number == vat_number)
    ]
    keys: dict[str, Callable[[Any], Any]] = {
        "name": lambda company: (company.name.lower(), company.id),
        "added_at": lambda company: (company.added_at, company.id),
        "updated_at": lambda company: (company.updated_at, company.id),
    }
    with_fields = "custom_fields" in includes(body)
    page_rows = sorted_page(rows, body, keys, "name")
    data = sandbox.state.company_json.rows(
        page_rows, with_fields, lambda row: render.company(row, detail=False, custom_fields=with_fields)
    )
    return 200, {"data": data}


def contacts_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    wanted = filters(body)
    keep = _party_filter(wanted)
    term = str(wanted.get("term", "")).lower()
    linked = "company_id" in wanted
    company_id = wanted.get("company_id")
    rows = [
        contact
        for contact in sandbox.state.contacts.values()
        if keep(contact)
        and (not term or term in f"{contact.first_name} {contact.last_name} {contact.email}".lower())
        and (
            not linked
            or (company_id is None and not contact.company_ids)
            or (company_id is not None and company_id in contact.company_ids)
        )
    ]
    keys: dict[str, Callable[[Any], Any]] = {
        "name": lambda contact: (contact.last_name.lower(), contact.first_name.lower(), contact.id),
        "added_at": lambda contact: (contact.added_at, contact.id),
        "updated_at": lambda contact: (contact.updated_at, contact.id),
    }
    with_fields = "custom_fields" in includes(body)
    page_rows = sorted_page(rows, body, keys, "name")
    data = sandbox.state.contact_json.rows(
        page_rows, with_fields, lambda row: render.contact(row, detail=False, custom_fields=with_fields)
    )
    return 200, {"data": data}


def _lookup(table: dict[str, T], body: dict[str, Any], label: str) -> T:
    record_id = required_id(body)
    record = table.get(record_id)
    if record is None:
        raise ApiError(404, f"{label} {record_id} not found")
    return record


def companies_info(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    company = _lookup(sandbox.state.companies, body, "Company")
    return 200, {"data": render.company(company, detail=True, custom_fields=True)}


def contacts_info(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    contact = _lookup(sandbox.state.contacts, body, "Contact")
    return 200, {"data": render.contact(contact, detail=True, custom_fields=True)}


def _party_changes(
    sandbox: Sandbox, body: dict[str, Any], current: dict[str, Any], context: str
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for field in ("name", "first_name", "last_name", "vat_number", "website", "language", "remarks"):
        if field in body and field in current:
            changes[field] = body[field]
    if "tags" in body:
        changes["tags"] = list(body["tags"])
    if body.get("emails"):
        changes["email"] = body["emails"][0]["email"]
    if body.get("telephones"):
        changes["telephone"] = body["telephones"][0]["number"]
    if "custom_fields" in body:
        values = (
            dict(current["custom_fields"]) if body.get("custom_fields_update_strategy") == "partial" else {}
        )
        for item in body["custom_fields"]:
            definition = sandbox.state.custom_field_definitions.get(item.get("id"))
            if definition is None or definition.context != context:
                raise ApiError(400, f"custom field {item.get('id')} is not a {context} custom field")
            values[item["id"]] = item.get("value")
        changes["custom_fields"] = values
    return changes


def companies_update(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    company = _lookup(sandbox.state.companies, body, "Company")
    current = {
        field: getattr(company, field) for field in ("name", "vat_number", "website", "language", "remarks")
    }
    current["custom_fields"] = company.custom_fields
    changes = _party_changes(sandbox, body, current, "company")
    sandbox.state.update_company(company.id, changes, sandbox.now())
    return 204, None


def contacts_update(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    contact = _lookup(sandbox.state.contacts, body, "Contact")
    current = {field: getattr(contact, field) for field in ("first_name", "last_name", "language", "remarks")}
    current["custom_fields"] = contact.custom_fields
    changes = _party_changes(sandbox, body, current, "contact")
    sandbox.state.update_contact(contact.id, changes, sandbox.now())
    return 204, None


def projects_info(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    return 200, {"data": render.project(_lookup(sandbox.state.projects, body, "Project"))}


def milestones_info(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    return 200, {"data": render.milestone(_lookup(sandbox.state.milestones, body, "Milestone"))}


def tickets_info(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    return 200, {"data": render.ticket(_lookup(sandbox.state.tickets, body, "Ticket"))}


HANDLERS: dict[str, Handler] = {
    "users.me": users_me,
    "users.list": users_list,
    "workTypes.list": work_types_list,
    "departments.list": departments_list,
    "taxRates.list": tax_rates_list,
    "paymentTerms.list": payment_terms_list,
    "customFieldDefinitions.list": custom_field_definitions_list,
    "companies.list": companies_list,
    "companies.info": companies_info,
    "companies.update": companies_update,
    "contacts.list": contacts_list,
    "contacts.info": contacts_info,
    "contacts.update": contacts_update,
    "projects.info": projects_info,
    "milestones.info": milestones_info,
    "tickets.info": tickets_info,
}
