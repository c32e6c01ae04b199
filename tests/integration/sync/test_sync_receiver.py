"""The webhook receiver: the secret path, the envelope's checks, and nothing stored for bad input."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from support.clock import PinnedClock

from connector.storage.tables.sync import webhook_inbox
from connector.web.webhooks import MAX_BODY_BYTES, webhook_router

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SECRET = "0123456789abcdef0123456789abcdef01234567"
GOOD = {
    "type": "timeTracking.updated",
    "subject": {"type": "timeTracking", "id": "t1"},
    "account": {"type": "account", "id": "acc-1"},
}


def _inbox(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(webhook_inbox)).scalar_one())


@pytest.fixture
def receiver(engine: Engine) -> Any:
    pokes: list[int] = []
    app = FastAPI()
    app.include_router(
        webhook_router(
            engine, SECRET, account_id=lambda: "acc-1", poke=lambda: pokes.append(1), clock=PinnedClock()
        )
    )
    return TestClient(app), pokes


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        (f"/webhooks/teamleader/{SECRET[:-1]}x", GOOD, 404, "not found"),
        (f"/webhooks/teamleader/{SECRET}", "not json", 400, "not JSON"),
        (f"/webhooks/teamleader/{SECRET}", [1, 2], 400, "JSON object"),
        (f"/webhooks/teamleader/{SECRET}", {**GOOD, "type": "deal.won"}, 400, "not one we subscribe to"),
        (
            f"/webhooks/teamleader/{SECRET}",
            {**GOOD, "subject": {"type": "company", "id": "c"}},
            400,
            "does not match",
        ),
        (f"/webhooks/teamleader/{SECRET}", {**GOOD, "subject": {"id": "t1"}}, 400, "`subject`"),
        (
            f"/webhooks/teamleader/{SECRET}",
            {**GOOD, "account": {"id": "someone-else"}},
            400,
            "another Teamleader",
        ),
    ],
)
def test_bad_deliveries_are_refused_with_a_reason_and_store_nothing(
    receiver: Any, engine: Engine, path: str, body: Any, status: int, reason: str
) -> None:
    client, pokes = receiver
    response = client.post(path, content=body) if isinstance(body, str) else client.post(path, json=body)
    assert response.status_code == status
    assert reason in response.json()["detail"]
    assert _inbox(engine) == 0 and pokes == []


def test_an_oversized_body_is_refused(receiver: Any, engine: Engine) -> None:
    client, _ = receiver
    response = client.post(f"/webhooks/teamleader/{SECRET}", content="x" * (MAX_BODY_BYTES + 1))
    assert response.status_code == 413 and _inbox(engine) == 0


def test_a_good_delivery_is_stored_once_and_pokes_the_worker(receiver: Any, engine: Engine) -> None:
    client, pokes = receiver
    first = client.post(f"/webhooks/teamleader/{SECRET}", json=GOOD)
    again = client.post(f"/webhooks/teamleader/{SECRET}", json=GOOD)
    assert (first.status_code, first.json()) == (202, {"accepted": True, "duplicate": False})
    assert (again.status_code, again.json()) == (202, {"accepted": True, "duplicate": True})
    assert _inbox(engine) == 1 and len(pokes) == 2
