"""Replenish settings checked against Teamleader when a budget is saved, not when the first invoice fails.

A top-up invoice needs a department that exists and is active, and a tax rate of that same
department (teamleader-api.md §5.7: a tax rate of another department is refused with a 400).
Finding that out at save time turns a failed invoice at 3 a.m. into one clear error for the
person editing the budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.billing.budget import ReplenishMode, ReplenishSettings
from connector.invoicing.errors import InvalidReplenishSettings
from connector.invoicing.ports import ReferenceApi

__all__ = ["validate_replenish"]


def _department_of(tax_rate: Mapping[str, Any]) -> str | None:
    department = tax_rate.get("department")
    if isinstance(department, Mapping):
        value = department.get("id")
        return None if value is None else str(value)
    return None


def validate_replenish(client: ReferenceApi, settings: ReplenishSettings) -> None:
    """Raise `InvalidReplenishSettings` when an auto top-up could not be invoiced as configured."""
    if settings.mode is not ReplenishMode.AUTO:
        return
    department_id, tax_rate_id = settings.department_id, settings.tax_rate_id
    departments = {str(row["id"]): row for row in client.list_departments()}
    department = departments.get(str(department_id))
    if department is None:
        known = ", ".join(f"{key} ({row.get('name', '')})" for key, row in sorted(departments.items()))
        raise InvalidReplenishSettings(
            "department_id", f"Teamleader has no department {department_id!r} (known: {known or 'none'})"
        )
    if department.get("status") not in (None, "active"):
        raise InvalidReplenishSettings(
            "department_id", f"department {department_id!r} is {department.get('status')}, not active"
        )
    rates = client.list_tax_rates(str(department_id))
    rate = next((row for row in rates if str(row.get("id")) == str(tax_rate_id)), None)
    if rate is None:
        known = ", ".join(f"{row.get('id')} ({row.get('description', '')})" for row in rates)
        raise InvalidReplenishSettings(
            "tax_rate_id",
            f"tax rate {tax_rate_id!r} is not a tax rate of department {department_id!r} "
            f"(its tax rates: {known or 'none'})",
        )
    owner = _department_of(rate)
    if owner is not None and owner != str(department_id):
        raise InvalidReplenishSettings(
            "tax_rate_id", f"tax rate {tax_rate_id!r} belongs to department {owner!r}, not {department_id!r}"
        )
