"""The read side: balances of every budget, entries with their state, ledgers, statements.

Statements and the lines as the forecast reads them come from `connector.budgets.history`, the
one query that dates every line by the day it counts on; they are re-exported here.

Balances are sums over the ledger (settled) and over pending allocations' values (what the
provisional balance subtracts), both computed by the database in one grouped query each, so
listing a thousand budgets costs three queries. Figures are integer measures of each budget
(cents, or seconds for an hours budget); the command line and the web adapter format them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, select

from connector.billing import Budget, LedgerLine, Money, UnitKind
from connector.budgets.balance_queries import balances, pending_values
from connector.budgets.history import (
    StatementData,
    counted_lines,
    ledger_line_of,
    person_name,
    statement_data,
)
from connector.storage.tables.budgets import budget, entry_allocation, ledger_line
from connector.storage.tables.sync import company, contact, time_entry, tl_user, work_type

__all__ = [
    "INVOICED",
    "BalanceRow",
    "EntryRow",
    "StatementData",
    "balance_rows",
    "customer_names",
    "entry_rows",
    "ledger_rows",
    "lines_of",
    "person_name",
    "statement_data",
]


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """One budget's figures in its measure (cents, or seconds for an hours budget)."""

    budget_id: str
    name: str
    customer: str
    unit: UnitKind
    currency: str
    status: str
    threshold: int
    settled: int
    provisional: int
    pending: int
    settled_cents: int

    def format(self, measure: int) -> str:
        if self.unit is UnitKind.HOURS:
            return f"{(Decimal(measure) / 3600).quantize(Decimal('0.01'))} h"
        return Money.from_cents(measure, self.currency).format()


def balance_rows(conn: Connection, budget_ids: Sequence[str] | None = None) -> list[BalanceRow]:
    """Every budget's settled and provisional balance: three queries whatever the count."""
    query = select(
        budget.c.id,
        budget.c.name,
        budget.c.customer_type,
        budget.c.customer_id,
        budget.c.unit,
        budget.c.currency,
        budget.c.status,
        budget.c.threshold_measure,
    ).order_by(budget.c.id)
    if budget_ids is not None:
        query = query.where(budget.c.id.in_(list(budget_ids)))
    ids = None if budget_ids is None else list(budget_ids)
    sums, pending = balances(conn, ids), pending_values(conn, ids)
    rows = []
    for r in conn.execute(query):
        unit = UnitKind(r[4])
        cents, seconds = sums.get(r[0], (0, 0))
        p_cents, p_seconds, count = pending.get(r[0], (0, 0, 0))
        settled = seconds if unit is UnitKind.HOURS else cents
        coming = p_seconds if unit is UnitKind.HOURS else p_cents
        rows.append(
            BalanceRow(
                r[0], r[1], f"{r[2]}:{r[3]}", unit, r[5], r[6], r[7], settled, settled - coming, count, cents
            )
        )
    return rows


def customer_names(conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Display names of companies and contacts by (type, id); unknown ones are left out."""
    names: dict[tuple[str, str], str] = {}
    companies = [i for t, i in keys if t == "company"]
    contacts = [i for t, i in keys if t == "contact"]
    if companies:
        for cid, name in conn.execute(
            select(company.c.id, company.c.name).where(company.c.id.in_(companies))
        ):
            names[("company", cid)] = name
    if contacts:
        query = select(contact.c.id, contact.c.first_name, contact.c.last_name).where(
            contact.c.id.in_(contacts)
        )
        for cid, first, last in conn.execute(query):
            names[("contact", cid)] = " ".join(p for p in (first, last) if p)
    return names


INVOICED = "invoiced"
"""The listed state of an entry Teamleader settled: read-only, it cannot be subtracted."""


@dataclass(frozen=True, slots=True)
class EntryRow:
    """A time entry in one budget, with its value there (`amount_cents` None: needs a rate, or
    state `invoiced`: Teamleader settled it, see `connector.budgets.invoiced`). `billing_type` and
    `invoice_id` are Teamleader's `billing_info` as synced (None: Teamleader has not billed it)."""

    budget_id: str
    entry_id: str
    state: str
    day: date
    person: str
    work_type: str
    description: str
    duration_seconds: int
    rounded_seconds: int | None
    rate_cents: int | None
    amount_cents: int | None
    flags: tuple[str, ...]
    needs_rate: bool
    note: str | None
    customer: str
    deleted: bool
    billing_type: str | None = None
    invoice_id: str | None = None

    @property
    def counted_seconds(self) -> int:
        """The rounded duration the budget counts; Teamleader's own for an entry it invoiced."""
        return self.duration_seconds if self.state == INVOICED else self.rounded_seconds or 0


def entry_rows(
    conn: Connection,
    *,
    budget_id: str | None = None,
    customer: tuple[str, str] | None = None,
    state: str | None = None,
    flagged: bool = False,
    entry_ids: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[EntryRow]:
    """Allocations joined with their entries, people and work types; newest first."""
    a, e = entry_allocation, time_entry
    person = person_name()
    query = (
        select(
            a.c.budget_id,
            a.c.time_entry_id,
            a.c.state,
            e.c.started_on,
            person,
            work_type.c.name,
            e.c.description,
            e.c.duration_seconds,
            a.c.rounded_seconds,
            a.c.pending_seconds,
            a.c.rate_cents,
            a.c.amount_cents,
            a.c.pending_cents,
            a.c.flags,
            a.c.needs_rate,
            a.c.note,
            e.c.customer_type,
            e.c.customer_id,
            e.c.deleted_at,
            e.c.billing_type,
            e.c.billing_invoice_id,
        )
        .join(e, e.c.id == a.c.time_entry_id)
        .outerjoin(tl_user, tl_user.c.id == e.c.user_id)
        .outerjoin(work_type, work_type.c.id == e.c.work_type_id)
        .where(a.c.state != "released")
        .order_by(e.c.started_on.desc(), a.c.time_entry_id.desc())
    )
    if budget_id is not None:
        query = query.where(a.c.budget_id == budget_id)
    if customer is not None:
        query = query.join(budget, budget.c.id == a.c.budget_id).where(
            and_(budget.c.customer_type == customer[0], budget.c.customer_id == customer[1])
        )
    if state is not None:
        query = query.where(a.c.state == state)
    if flagged:
        query = query.where(a.c.flags != "")
    if entry_ids is not None:
        query = query.where(a.c.time_entry_id.in_(list(entry_ids)))
    if limit is not None:
        query = query.limit(limit)
    rows = []
    for r in conn.execute(query):
        subtracted = r[2] == "subtracted"
        rows.append(
            EntryRow(
                budget_id=r[0],
                entry_id=r[1],
                state=r[2],
                day=r[3],
                person=r[4] or "",
                work_type=r[5] or "",
                description=r[6] or "",
                duration_seconds=r[7],
                rounded_seconds=r[8] if subtracted else r[9],
                rate_cents=r[10],
                amount_cents=r[11] if subtracted else r[12],
                flags=tuple(f for f in (r[13] or "").split(",") if f),
                needs_rate=bool(r[14]),
                note=r[15],
                customer=f"{r[16]}:{r[17]}",
                deleted=r[18] is not None,
                billing_type=r[19],
                invoice_id=r[20],
            )
        )
    return rows


def ledger_rows(conn: Connection, budget_id: str) -> list[dict[str, Any]]:
    """Every line of a budget, oldest first, as stored."""
    query = select(ledger_line).where(ledger_line.c.budget_id == budget_id).order_by(ledger_line.c.id)
    return [dict(r) for r in conn.execute(query).mappings()]


def lines_of(conn: Connection, b: Budget) -> list[LedgerLine]:
    """The budget's lines as domain lines, in the order they were recorded (for the forecast and
    FIFO funding), each with the day it counts on (`LedgerLine.effective_on`)."""
    return [ledger_line_of(r) for r in sorted(counted_lines(conn, b), key=lambda r: r["id"])]
