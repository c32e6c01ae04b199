"""The ledger's side of the invoicing contract: `CreditSink` and `BudgetLookup` over our tables.

The invoice worker credits a booked (or paid) top-up in the transaction that records the
top-up's state change; the line's source key (`topup:{id}`, `topup-rev:{id}`) makes a repeat a
no-op, so the credit is counted once whatever the worker retries. A period grant or overage
invoice credits nothing here: the period close already wrote the grant or the overage line, and
the invoice only collects the money for it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from connector.billing import Budget, LineKind
from connector.billing.ledger import unit_line
from connector.budgets.budget_queries import load_budgets
from connector.budgets.entry_codec import line_values
from connector.budgets.reports import customer_names
from connector.storage.tables.budgets import ledger_line
from connector.storage.tables.invoicing import topup

__all__ = ["LedgerCredits", "StoredBudgets"]

_ACTOR = "invoicing"


def _append_once(conn: Connection, values: dict[str, object]) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(ledger_line).values(**values).on_conflict_do_nothing())


class StoredBudgets:
    """`BudgetLookup`: budgets as stored now, and the customer's display name."""

    def budget(self, conn: Connection, budget_id: str) -> Budget | None:
        found = load_budgets(conn, ids=[budget_id])
        return found[0] if found else None

    def customer_name(self, conn: Connection, budget: Budget) -> str:
        key = (budget.customer.type.value, budget.customer.id)
        return customer_names(conn, [key]).get(key, budget.customer.id)


class LedgerCredits:
    """`CreditSink`: the top-up credit line and its reversal, each at most once."""

    def __init__(self) -> None:
        self._budgets = StoredBudgets()

    def credit(
        self,
        conn: Connection,
        *,
        budget_id: str,
        topup_id: str,
        invoice_id: str,
        invoice_number: str | None,
        amount_cents: int,
        quantity_seconds: int | None,
        now: datetime,
    ) -> None:
        kind = conn.execute(select(topup.c.kind).where(topup.c.id == topup_id)).scalar()
        b = self._budgets.budget(conn, budget_id)
        if b is None or kind not in (None, "topup"):
            return
        measure = quantity_seconds if b.unit.is_hours and quantity_seconds is not None else amount_cents
        line = unit_line(
            b,
            LineKind.TOPUP_CREDIT,
            measure,
            source_key=f"topup:{topup_id}",
            actor=_ACTOR,
            at=now,
            invoice_id=invoice_id,
            reason=f"top-up invoice {invoice_number or invoice_id}",
        )
        _append_once(conn, line_values(line))

    def reverse_credit(
        self, conn: Connection, *, topup_id: str, invoice_id: str, reason: str, now: datetime
    ) -> None:
        credit = (
            conn.execute(select(ledger_line).where(ledger_line.c.source_key == f"topup:{topup_id}"))
            .mappings()
            .first()
        )
        if credit is None:
            return
        values = {
            **{k: v for k, v in credit.items() if k not in ("id", "details", "reason")},
            "kind": LineKind.CREDIT_REVERSAL.value,
            "amount_cents": -credit["amount_cents"],
            "seconds": -credit["seconds"],
            "source_key": f"topup-rev:{topup_id}",
            "actor": _ACTOR,
            "at": now,
            "invoice_id": invoice_id,
            "reason": reason,
            "details": {"reverses": f"topup:{topup_id}"},
        }
        _append_once(conn, values)
