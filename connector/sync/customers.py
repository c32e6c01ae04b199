"""Finding the customer of a time entry tracked on a milestone, ticket or task.

Most entries name their customer directly (subject) or through the `relates_to` sideload, at no
extra cost. For the rest the chain is asked of the API once per subject (milestone -> project ->
customer; ticket -> customer; todo -> customer) and cached in `subject_link`, so a thousand
entries on one ticket cost one call. An entry whose customer cannot be found keeps no customer
and is reported as unresolved, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from connector.storage.tables.sync import subject_link
from connector.sync.source import TeamleaderSource, data_of
from connector.teamleader.errors import RequestFailed

__all__ = ["CustomerResolver"]

_INFO = {
    "milestone": "milestones.info",
    "ticket": "tickets.info",
    "todo": "tasks.info",
    "project": "projects.info",
}
Customer = tuple[str, str] | None


class CustomerResolver:
    """Resolves and caches subject -> customer links."""

    def __init__(self, source: TeamleaderSource) -> None:
        self._source = source

    def resolve(self, conn: Connection, rows: Iterable[dict[str, Any]], now: datetime) -> int:
        """Fill the customer columns of rows that lack them; returns how many stay unresolved."""
        pending = [
            r for r in rows if r["customer_id"] is None and r["subject_type"] in _INFO and r["subject_id"]
        ]
        if not pending:
            return sum(1 for r in rows if r["customer_id"] is None)
        keys = {(r["subject_type"], r["subject_id"]) for r in pending}
        known = self._cached(conn, keys)
        for key in keys - known.keys():
            known[key] = self._ask(*key)
            self._remember(conn, key, known[key], now)
        for row in pending:
            customer = known.get((row["subject_type"], row["subject_id"]))
            if customer is not None:
                row["customer_type"], row["customer_id"], row["customer_source"] = (*customer, "lookup")
        for row in rows:
            if row["customer_id"] is None:
                row["customer_source"] = "unresolved"
        return sum(1 for r in rows if r["customer_id"] is None)

    def _cached(self, conn: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Customer]:
        found = conn.execute(
            select(subject_link).where(
                tuple_(subject_link.c.subject_type, subject_link.c.subject_id).in_(keys)
            )
        )
        return {
            (r.subject_type, r.subject_id): (r.customer_type, r.customer_id) if r.customer_id else None
            for r in found
        }

    def _ask(self, subject_type: str, subject_id: str) -> Customer:
        try:
            info = data_of(self._source.call(_INFO[subject_type], {"id": subject_id}))
        except RequestFailed:
            return None
        if subject_type == "milestone":
            project = _ref(info.get("project"))
            return self._ask("project", project[1]) if project else None
        return _ref(info.get("customer"))

    def _remember(self, conn: Connection, key: tuple[str, str], customer: Customer, now: datetime) -> None:
        values = {
            "subject_type": key[0],
            "subject_id": key[1],
            "resolved_at": now,
            "customer_type": customer[0] if customer else None,
            "customer_id": customer[1] if customer else None,
        }
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        statement = dialect_insert(subject_link).values(**values)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["subject_type", "subject_id"],
                set_={
                    "customer_type": values["customer_type"],
                    "customer_id": values["customer_id"],
                    "resolved_at": now,
                },
            )
        )


def _ref(value: Any) -> tuple[str, str] | None:
    if isinstance(value, Mapping) and value.get("type") and value.get("id"):
        return str(value["type"]), str(value["id"])
    return None
