"""The Teamleader resources we copy: which operation lists them, how, and into which table.

Time tracking has no "changed since" filter (the API silently ignores one and returns the whole
table), so it is synced by start-date windows; companies and contacts honour `updated_since`.
Departments are not paginated: a page parameter is ignored and page 1 comes back every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from connector.storage.tables import sync as t

__all__ = ["REFERENCE_RESOURCES", "RESOURCES", "Resource"]


@dataclass(frozen=True)
class Resource:
    """How one resource is listed."""

    name: str
    operation: str
    table: Table
    paginated: bool = True
    incremental: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


USERS = Resource("users", "users.list", t.tl_user)
WORK_TYPES = Resource("work_types", "workTypes.list", t.work_type)
DEPARTMENTS = Resource("departments", "departments.list", t.department, paginated=False)
TAX_RATES = Resource("tax_rates", "taxRates.list", t.tax_rate)
COMPANIES = Resource(
    "companies",
    "companies.list",
    t.company,
    incremental=True,
    extra={"sort": [{"field": "updated_at", "order": "asc"}]},
)
CONTACTS = Resource(
    "contacts",
    "contacts.list",
    t.contact,
    incremental=True,
    extra={"sort": [{"field": "updated_at", "order": "asc"}]},
)
TIME_ENTRIES = Resource(
    "time_entries",
    "timeTracking.list",
    t.time_entry,
    extra={"sort": [{"field": "starts_on", "order": "asc"}], "includes": "relates_to"},
)

REFERENCE_RESOURCES = (USERS, WORK_TYPES, DEPARTMENTS, TAX_RATES)
RESOURCES = (*REFERENCE_RESOURCES, COMPANIES, CONTACTS, TIME_ENTRIES)
