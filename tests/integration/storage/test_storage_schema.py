"""The schema: migrations match the tables, and the backends keep our storage guarantees.

Every instant written here is `PINNED_AT` or counted from it; nothing reads the clock.
"""

from __future__ import annotations

import threading
from datetime import timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, select, text
from support.clock import PINNED_AT

from connector.storage import current_revision, head_revision, metadata, upgrade
from connector.storage.locks import claim_run_slot, try_take_lease
from connector.storage.tables.sync import company, webhook_inbox


def test_migrations_reach_head_and_match_the_tables(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        diff = compare_metadata(context, metadata)
    assert diff == [], "tables changed without `make schema`"


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_datetimes_come_back_aware_in_utc(engine: Engine) -> None:
    brussels = timezone(timedelta(hours=1))
    seen = PINNED_AT.astimezone(brussels)
    with engine.begin() as conn:
        conn.execute(insert(company).values(id="c1", name="Acme", raw={}, content_hash="h", synced_at=seen))
        stored = conn.execute(select(company.c.synced_at)).scalar_one()
    assert stored == seen
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), engine.begin() as conn:
        conn.execute(
            insert(company).values(
                id="c1",
                name="Acme",
                raw={},
                content_hash="h",
                synced_at=PINNED_AT.replace(tzinfo=None),
            )
        )


def test_one_pending_inbox_row_per_subject(engine: Engine) -> None:
    row = {
        "event_type": "timeTracking.updated",
        "subject_type": "timeTracking",
        "subject_id": "t1",
        "payload": {},
        "received_at": PINNED_AT,
    }
    with engine.begin() as conn:
        conn.execute(insert(webhook_inbox).values(**row))
    with pytest.raises(Exception, match=r"(?i)unique"), engine.begin() as conn:
        conn.execute(insert(webhook_inbox).values(**row))
    with engine.begin() as conn:
        conn.execute(text("UPDATE webhook_inbox SET status = 'done'"))
        conn.execute(insert(webhook_inbox).values(**row))
        assert conn.execute(select(webhook_inbox.c.id)).all().__len__() == 2


def test_concurrent_read_modify_write_loses_no_update(engine: Engine) -> None:
    """Writers that read then write in one transaction must serialise (SQLite: BEGIN IMMEDIATE)."""
    with engine.begin() as conn:
        conn.execute(insert(company).values(id="n", name="0", raw={}, content_hash="h", synced_at=PINNED_AT))

    def bump() -> None:
        for _ in range(25):
            with engine.begin() as conn:
                locking = select(company.c.name).where(company.c.id == "n")
                if conn.dialect.name == "postgresql":
                    locking = locking.with_for_update()
                value = int(conn.execute(locking).scalar_one())
                conn.execute(text("UPDATE company SET name = :v WHERE id = 'n'"), {"v": str(value + 1)})

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as conn:
        assert conn.execute(select(company.c.name)).scalar_one() == "100"


def test_a_lease_has_one_holder_until_it_expires(engine: Engine) -> None:
    now = PINNED_AT
    with engine.begin() as conn:
        assert try_take_lease(conn, "refresh", "a", timedelta(seconds=30), now) == 1
        assert try_take_lease(conn, "refresh", "b", timedelta(seconds=30), now) is None
        assert try_take_lease(conn, "refresh", "a", timedelta(seconds=30), now) == 2
        assert try_take_lease(conn, "refresh", "b", timedelta(seconds=30), now + timedelta(seconds=31)) == 3


def test_a_run_slot_is_claimed_once(engine: Engine) -> None:
    later = PINNED_AT + timedelta(minutes=5)
    slot, next_slot = f"{PINNED_AT:%Y-%m-%dT%H:%M}", f"{later:%Y-%m-%dT%H:%M}"
    with engine.begin() as conn:
        assert claim_run_slot(conn, "sync", slot, "a", now=PINNED_AT)
        assert not claim_run_slot(conn, "sync", slot, "b", now=PINNED_AT)
        assert claim_run_slot(conn, "sync", next_slot, "b", now=later)
