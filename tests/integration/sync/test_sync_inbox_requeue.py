"""Events a killed worker had claimed go back to the inbox; none is lost, none is doubled.

The processor runs on `PinnedClock()`; the claims are dated from its instant.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select
from support.clock import PINNED_AT, PinnedClock

from connector.storage.tables.sync import webhook_inbox
from connector.sync.inbox import InboxProcessor


class _NoApi:
    api_calls = 0

    def call(self, endpoint: str, body: Mapping[str, Any] | None = None) -> Any:
        raise AssertionError("requeueing must not call Teamleader")


def _row(subject: str, status: str, claimed: datetime | None) -> dict[str, Any]:
    """An event received at `PINNED_AT`, claimed (`processed_at`) at `claimed`."""
    return {
        "event_type": "timeTracking.updated",
        "subject_type": "timeTracking",
        "subject_id": subject,
        "payload": {},
        "status": status,
        "received_at": PINNED_AT,
        "processed_at": claimed,
    }


def test_stale_claims_return_to_pending_unless_a_pending_event_covers_them(engine: Engine) -> None:
    clock = PinnedClock()
    long_ago, just_now = clock.at - timedelta(minutes=10), clock.at
    with engine.begin() as conn:
        conn.execute(
            insert(webhook_inbox),
            [
                _row("lost", "processing", long_ago),
                _row("covered", "processing", long_ago),
                _row("covered", "pending", None),
                _row("busy", "processing", just_now),
            ],
        )
    assert InboxProcessor(engine, _NoApi(), clock=clock).requeue_stale() == 2
    with engine.connect() as conn:
        rows = sorted((r.subject_id, r.status) for r in conn.execute(select(webhook_inbox)))
    assert rows == [("busy", "processing"), ("covered", "done"), ("covered", "pending"), ("lost", "pending")]
