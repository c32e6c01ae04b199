"""Writing fetched pages into the local copy in batches: insert new rows, update changed ones.

One SELECT of the stored digests per batch decides what changed; unchanged rows only get their
`synced_at` refreshed (that is what full and windowed syncs use to find rows Teamleader no
longer has). Time entries' `revision` grows on every real change. Two writers may meet on one
new row (the webhook inbox and a windowed sync, or two instances on PostgreSQL): the insert skips
ids that another transaction has just inserted, and those rows are written as updates instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["UpsertResult", "mark_deleted", "upsert_rows"]


@dataclass
class UpsertResult:
    """Ids created and updated by one batch."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        return self.created + self.updated


def upsert_rows(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], now: datetime
) -> UpsertResult:
    """Upsert a batch by primary key `id`, comparing content digests."""
    result = UpsertResult()
    if not rows:
        return result
    unique = {row["id"]: row for row in rows}
    stored = {
        r.id: (r.content_hash, r.deleted_at)
        for r in conn.execute(
            select(table.c.id, table.c.content_hash, table.c.deleted_at).where(table.c.id.in_(list(unique)))
        )
    }
    new = [row for key, row in unique.items() if key not in stored]
    changed = [
        row
        for key, row in unique.items()
        if key in stored and (stored[key][0] != row["content_hash"] or stored[key][1] is not None)
    ]
    same = [key for key in unique if key in stored and key not in {row["id"] for row in changed}]
    if new:
        inserted = _insert_new(conn, table, new)
        result.created = [row["id"] for row in new if row["id"] in inserted]
        changed += [row for row in new if row["id"] not in inserted]
    if changed:
        columns = [c for c in changed[0] if c != "id"]
        values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in columns}
        if "revision" in table.c:
            values["revision"] = table.c.revision + 1
        statement = update(table).where(table.c.id == bindparam("v_id")).values(values)
        conn.execute(statement, [{f"v_{k}": v for k, v in row.items()} for row in changed])
        result.updated = [row["id"] for row in changed]
    if same:
        conn.execute(update(table).where(table.c.id.in_(same)).values(synced_at=now))
    return result


def _insert_new(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> set[str]:
    """Insert `rows`, skipping ids that a concurrent writer inserted first; the ids inserted here."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=["id"]).returning(table.c.id)
    return {str(row[0]) for row in conn.execute(statement, rows)}


def mark_deleted(conn: Connection, table: Table, where: ColumnElement[bool], now: datetime) -> list[str]:
    """Mark the rows matching `where` (and not yet deleted) as deleted; their ids."""
    statement = (
        update(table)
        .where(where, table.c.deleted_at.is_(None))
        .values(deleted_at=now, **({"revision": table.c.revision + 1} if "revision" in table.c else {}))
        .returning(table.c.id)
    )
    return [str(row[0]) for row in conn.execute(statement)]
