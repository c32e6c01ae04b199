"""Migration 0003 forgets the links that earlier versions stored without a customer (possibly a
failed lookup), so they are asked again, and only lookable entries stay `unresolved`."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, text
from support.clock import PINNED_AT

from connector.storage.migrate import alembic_config, upgrade

_ENTRY = (
    "INSERT INTO time_entry (id, raw, content_hash, synced_at, started_on, duration_seconds, "
    "subject_type, subject_id, customer_source, invoiceable, revision) "
    "VALUES (:id, '{}', :id, :at, :day, 60, :kind, 's', :source, true, 1)"
)


def test_links_without_a_customer_are_dropped_and_unlookable_entries_become_none(engine: Engine) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0002")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subject_link (subject_type, subject_id, customer_type, customer_id, resolved_at) "
                "VALUES ('todo', 'failed', NULL, NULL, :at), ('todo', 'known', 'company', 'c-1', :at)"
            ),
            {"at": PINNED_AT},
        )
        for entry_id, kind, source in (
            ("on-task", "todo", "unresolved"),
            ("on-event", "event", "unresolved"),
        ):
            conn.execute(
                text(_ENTRY),
                {"id": entry_id, "at": PINNED_AT, "day": PINNED_AT.date(), "kind": kind, "source": source},
            )
    upgrade(engine)
    with engine.connect() as conn:
        links = conn.execute(text("SELECT subject_id FROM subject_link")).scalars().all()
        sources = dict(conn.execute(text("SELECT id, customer_source FROM time_entry")).all())
    assert links == ["known"]
    assert sources == {"on-task": "unresolved", "on-event": "none"}
