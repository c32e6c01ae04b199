"""The budgets' queries: budgets with the rule versions they name, inserted and updated by version.

Everything takes an open `Connection`, so the caller decides the transaction. An update compares
and swaps on the budget's `version`; a lost race returns False, which the caller turns into a
retry or a clear message. Rules are immutable rows, so storing a budget only adds the rule
versions the table does not hold yet.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from connector.billing import Budget, BudgetStatus, CustomerRef
from connector.budgets.budget_codec import budget_from_row, budget_values, rule_criteria, rule_from_criteria
from connector.storage.tables.budgets import budget, budget_rule

__all__ = ["insert_budget", "load_budgets", "update_budget"]


def load_budgets(
    conn: Connection,
    *,
    ids: Collection[str] | None = None,
    customers: Collection[CustomerRef] | None = None,
    status: BudgetStatus | None = None,
) -> list[Budget]:
    """Budgets (with the rule versions they name), filtered by id, customer or status."""
    query = select(budget).order_by(budget.c.id)
    if ids is not None:
        query = query.where(budget.c.id.in_(list(ids)))
    if customers is not None:
        query = query.where(budget.c.customer_id.in_(sorted({c.id for c in customers})))
    if status is not None:
        query = query.where(budget.c.status == status.value)
    rows = list(conn.execute(query).mappings())
    if customers is not None:
        wanted = {(c.type.value, c.id) for c in customers}
        rows = [r for r in rows if (r["customer_type"], r["customer_id"]) in wanted]
    if not rows:
        return []
    rule_query = select(budget_rule)
    if ids is not None or customers is not None:
        rule_query = rule_query.where(budget_rule.c.budget_id.in_([r["id"] for r in rows]))
    rules: dict[str, dict[tuple[str, int], Any]] = {}
    for rule in conn.execute(rule_query).mappings():
        rules.setdefault(rule["budget_id"], {})[(rule["rule_id"], rule["version"])] = rule_from_criteria(
            rule["rule_id"], rule["version"], rule["criteria"]
        )
    return [budget_from_row(row, rules.get(row["id"], {})) for row in rows]


def _insert_rules(conn: Connection, b: Budget, *, actor: str, at: datetime) -> None:
    if not b.rules:
        return
    known = set(
        conn.execute(
            select(budget_rule.c.rule_id, budget_rule.c.version).where(budget_rule.c.budget_id == b.id)
        )
    )
    fresh = [
        {
            "budget_id": b.id,
            "rule_id": rule.id,
            "version": rule.version,
            "criteria": rule_criteria(rule),
            "created_at": at,
            "created_by": actor[:200],
        }
        for rule in b.rules
        if (rule.id, rule.version) not in known
    ]
    if fresh:
        conn.execute(insert(budget_rule), fresh)


def insert_budget(conn: Connection, b: Budget, *, actor: str, at: datetime) -> None:
    conn.execute(
        insert(budget).values(
            **budget_values(b), created_at=at, created_by=actor[:200], updated_at=at, updated_by=actor[:200]
        )
    )
    _insert_rules(conn, b, actor=actor, at=at)


def update_budget(conn: Connection, b: Budget, *, expected_version: int, actor: str, at: datetime) -> bool:
    """Store `b` (whose version is the next one) if nobody changed the budget since version
    `expected_version`; False when somebody did."""
    values = budget_values(b)
    del values["id"]
    result = conn.execute(
        update(budget)
        .where(budget.c.id == b.id, budget.c.version == expected_version)
        .values(**values, updated_at=at, updated_by=actor[:200])
    )
    if result.rowcount != 1:
        return False
    _insert_rules(conn, b, actor=actor, at=at)
    return True
