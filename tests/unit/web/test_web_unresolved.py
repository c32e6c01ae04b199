"""The overview says how many time entries wait for their customer, and that the next sync retries them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from starlette.testclient import TestClient
from support.clock import PINNED_AT

from connector.bootstrap import Container
from connector.storage.tables.sync import time_entry

RETRIED = "no customer yet because Teamleader did not answer the lookup; the next sync retries"


def _entry(entry_id: str, source: str) -> dict[str, Any]:
    return {
        "id": entry_id,
        "raw": {},
        "content_hash": entry_id,
        "synced_at": PINNED_AT,
        "started_on": PINNED_AT.date(),
        "duration_seconds": 3600,
        "subject_type": "todo",
        "subject_id": "t-1",
        "customer_source": source,
        "invoiceable": True,
    }


def test_the_overview_counts_unresolved_entries_and_says_they_are_retried(
    container: Container, user_client: TestClient
) -> None:
    user_client.app.state.web.read_model = container.web_adapter()  # type: ignore[attr-defined]
    assert RETRIED not in user_client.get("/").text
    with container.engine.begin() as conn:
        conn.execute(
            insert(time_entry),
            [_entry("a", "unresolved"), _entry("b", "unresolved"), _entry("c", "none")],
        )
    page = user_client.get("/").text
    assert f"2 time entries have {RETRIED} them" in page
