"""Sync checkpoints: where a run stands per resource, committed with the rows of each page.

A full sync writes its page number in the same transaction as the page's rows, so a run killed
at any moment resumes after the last committed page: nothing finished is fetched again and
nothing is written twice. The row named `full` says whether a full run is under way and when it
began (rows not seen since then are the ones Teamleader no longer has).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from connector.storage.tables.sync import sync_checkpoint

__all__ = ["Checkpoint", "load_checkpoint", "save_checkpoint"]


@dataclass(frozen=True)
class Checkpoint:
    """One resource's progress in a run."""

    resource: str
    run_id: str | None
    state: str
    page: int
    watermark: str | None
    started_at: datetime | None
    finished_at: datetime | None


def load_checkpoint(conn: Connection, resource: str) -> Checkpoint | None:
    """The stored checkpoint of `resource`, if any."""
    row = conn.execute(select(sync_checkpoint).where(sync_checkpoint.c.resource == resource)).first()
    if row is None:
        return None
    cursor: dict[str, Any] = row.cursor or {}
    return Checkpoint(
        resource,
        row.run_id,
        row.state,
        int(cursor.get("page", 0)),
        row.watermark,
        row.started_at,
        row.finished_at,
    )


def save_checkpoint(
    conn: Connection,
    resource: str,
    *,
    run_id: str | None,
    state: str,
    now: datetime,
    page: int = 0,
    watermark: str | None = None,
    started_at: datetime | None = None,
    stats: dict[str, Any] | None = None,
) -> None:
    """Insert or replace the checkpoint of `resource` (call inside the page's transaction)."""
    values: dict[str, Any] = {
        "resource": resource,
        "run_id": run_id,
        "state": state,
        "cursor": {"page": page},
        "updated_at": now,
        "finished_at": now if state == "done" else None,
    }
    if watermark is not None:
        values["watermark"] = watermark
    if started_at is not None:
        values["started_at"] = started_at
    if stats is not None:
        values["stats"] = stats
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(sync_checkpoint).values(**values)
    updates = {k: v for k, v in values.items() if k != "resource"}
    conn.execute(statement.on_conflict_do_update(index_elements=["resource"], set_=updates))
