"""A budget's ledger as people read it: each line with its time entry and its invoice number.

The ledger stores a time entry by id and an invoice by its Teamleader id; a person reads the
entry's day, person and description, and the invoice's number ("2026 / 45"). This module joins
them in, in one query, oldest line first, without changing what is stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from connector.budgets.reports import person_name
from connector.storage.tables.budgets import ledger_line
from connector.storage.tables.invoicing import topup
from connector.storage.tables.sync import time_entry, tl_user

__all__ = ["invoice_numbers", "ledger_listing"]


def ledger_listing(conn: Connection, budget_id: str) -> list[dict[str, Any]]:
    """Every line of the budget, oldest first, with `entry_day`, `person`, `entry_description`
    (None for a line without a time entry) and `invoice_number` (None when not known)."""
    number = (
        select(topup.c.invoice_number)
        .where(topup.c.invoice_id == ledger_line.c.invoice_id, topup.c.invoice_number.is_not(None))
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            ledger_line,
            time_entry.c.started_on.label("entry_day"),
            person_name().label("person"),
            time_entry.c.description.label("entry_description"),
            number.label("invoice_number"),
        )
        .outerjoin(time_entry, time_entry.c.id == ledger_line.c.time_entry_id)
        .outerjoin(tl_user, tl_user.c.id == time_entry.c.user_id)
        .where(ledger_line.c.budget_id == budget_id)
        .order_by(ledger_line.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def invoice_numbers(conn: Connection, budget_id: str) -> dict[str, str]:
    """The invoice number of each of the budget's top-up invoices, by Teamleader invoice id."""
    query = select(topup.c.invoice_id, topup.c.invoice_number).where(
        topup.c.budget_id == budget_id,
        topup.c.invoice_id.is_not(None),
        topup.c.invoice_number.is_not(None),
    )
    return {str(i): str(n) for i, n in conn.execute(query)}
