"""The lock a token refresh holds: one holder at a time across connections (processes), a bounded
wait, and no database transaction left open while it is held."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from support.clock import PinnedClock

from connector.storage import create_db_engine
from connector.storage.held_lock import LockWaitExpired, held_lock


def test_a_second_holder_waits_until_the_timeout_and_gets_it_once_released(engine: Engine) -> None:
    other = create_db_engine(engine.url.render_as_string(hide_password=False))
    clock = PinnedClock()
    try:
        with held_lock(engine, "refresh-test", clock=clock, timeout=5):
            started = clock.monotonic()
            expired = pytest.raises(LockWaitExpired, match="'refresh-test' lock for more than 5 s")
            with expired, held_lock(other, "refresh-test", clock=clock, timeout=5):
                pass
            assert clock.monotonic() - started >= 5
            with held_lock(other, "another-name", clock=clock, timeout=5):
                pass
        with held_lock(other, "refresh-test", clock=clock, timeout=5):
            pass
    finally:
        other.dispose()


def test_holding_it_leaves_no_transaction_open(engine: Engine) -> None:
    """While the lock is held another connection takes the write lock (SQLite begins IMMEDIATE),
    and no session of the database sits idle in a transaction (PostgreSQL)."""
    other = create_db_engine(engine.url.render_as_string(hide_password=False))
    try:
        with held_lock(engine, "refresh-test", clock=PinnedClock(), timeout=5), other.begin() as conn:
            conn.execute(text("SELECT 1"))
            if other.dialect.name == "postgresql":
                idle = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND state LIKE 'idle in transaction%'"
                    )
                ).scalar_one()
                assert idle == 0
    finally:
        other.dispose()
