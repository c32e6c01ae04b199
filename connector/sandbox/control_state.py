"""The full-state dump of `GET /_sandbox/state`: everything a test may want to assert on.

Records come out in their API shape (invoices with lines and totals, time entries with
`relates_to`), plus what the API hides but tests need (users' hourly rates, seed parameters).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from connector.sandbox import render, render_invoices

if TYPE_CHECKING:
    from connector.sandbox.core import Sandbox

__all__ = ["full_state"]

_ALL_INCLUDES = frozenset({"relates_to"})


def full_state(sandbox: Sandbox, *, with_entries: bool) -> dict[str, Any]:
    state = sandbox.state
    users = []
    for user in state.users.values():
        row = render.user(state, user)
        row["hourly_rate"] = render.amount(user.hourly_rate, "EUR") if user.hourly_rate is not None else None
        users.append(row)
    seed = asdict(sandbox.seed_params)
    seed["anchor"] = sandbox.seed_params.anchor.isoformat() if sandbox.seed_params.anchor else None
    dump: dict[str, Any] = {
        "account": {"type": "account", "id": state.account_id},
        "current_user_id": state.current_user_id,
        "seed": seed,
        "users": users,
        "work_types": [
            {"id": work_type.id, "name": work_type.name} for work_type in state.work_types.values()
        ],
        "departments": [
            {"id": department.id, "name": department.name, "currency": department.currency}
            for department in state.departments.values()
        ],
        "tax_rates": [
            {
                "id": rate.id,
                "description": rate.description,
                "rate": rate.rate,
                "department_id": rate.department_id,
            }
            for rate in state.tax_rates.values()
        ],
        "payment_terms": [asdict(term) for term in state.payment_terms.values()],
        "custom_field_definitions": [asdict(item) for item in state.custom_field_definitions.values()],
        "companies": [
            render.company(item, detail=True, custom_fields=True) for item in state.companies.values()
        ],
        "contacts": [
            render.contact(item, detail=True, custom_fields=True) for item in state.contacts.values()
        ],
        "projects": [render.project(item) for item in state.projects.values()],
        "milestones": [render.milestone(item) for item in state.milestones.values()],
        "tickets": [render.ticket(item) for item in state.tickets.values()],
        "todos": [render.todo(item, detail=True) for item in state.todos.values()],
        "invoices": [render_invoices.invoice(state, item, detail=True) for item in state.invoices.values()],
        "credit_notes": [render_invoices.credit_note(state, item) for item in state.credit_notes.values()],
        "webhooks": sandbox.webhooks.listing(),
        "entry_count": len(state.entries),
    }
    if with_entries:
        dump["time_entries"] = [
            render.time_entry(entry, _ALL_INCLUDES, detail=True) for entry in state.entries.values()
        ]
    return dump
