"""Two writers meeting on one new row: the webhook inbox and a windowed sync (or two instances)
both find a time entry missing and insert it. The second must not fail on the primary key; on
PostgreSQL both transactions really overlap, so the loser's insert skips the row and updates it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event, insert, select
from support.clock import PINNED_AT

from connector.storage import create_db_engine
from connector.storage.tables.sync import company
from connector.sync.writer import upsert_rows


def _company(name: str, digest: str) -> dict[str, Any]:
    return {"id": "c1", "name": name, "raw": {}, "content_hash": digest, "synced_at": PINNED_AT}


def _rival_inserts_first(engine: Engine, conn: Connection) -> None:
    """Just before this writer's INSERT, another writer commits the same row."""
    rival = _company("Acme (webhook)", "h-webhook")
    done: list[bool] = []

    @event.listens_for(conn, "before_cursor_execute")
    def _interleave(*args: Any) -> None:
        statement = args[2]
        if done or not statement.startswith("INSERT INTO company"):
            return
        done.append(True)
        if conn.dialect.name == "postgresql":
            other = create_db_engine(str(engine.url.render_as_string(hide_password=False)))
            with other.begin() as own:
                own.execute(insert(company).values(**rival))
            other.dispose()
        else:
            conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                "INSERT INTO company (id, name, raw, content_hash, synced_at) VALUES (?, ?, '{}', ?, ?)",
                (rival["id"], rival["name"], rival["content_hash"], PINNED_AT.isoformat()),
            )


def test_a_row_inserted_meanwhile_by_another_writer_is_updated_not_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        _rival_inserts_first(engine, conn)
        result = upsert_rows(conn, company, [_company("Acme (sync)", "h-sync")], PINNED_AT)
    assert (result.created, result.updated) == ([], ["c1"])
    with engine.connect() as conn:
        assert conn.execute(select(company.c.name, company.c.content_hash)).one() == ("Acme (sync)", "h-sync")


def test_a_new_row_is_created(engine: Engine) -> None:
    with engine.begin() as conn:
        result = upsert_rows(conn, company, [_company("Acme", "h1")], PINNED_AT)
    assert (result.created, result.updated) == (["c1"], [])
