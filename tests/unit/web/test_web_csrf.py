"""CSRF: every unsafe request from a browser session carries the session's token, or is refused."""

from __future__ import annotations

from starlette.testclient import TestClient

from connector.web.memory import MemoryDashboard
from connector.web.views import EntryState


def _pending(dashboard: MemoryDashboard) -> str:
    return dashboard.entries("b1", EntryState.PENDING)[0].id


def test_a_form_without_the_token_is_refused_and_changes_nothing(
    user_client: TestClient, dashboard: MemoryDashboard
) -> None:
    entry = _pending(dashboard)
    response = user_client.post("/budgets/b1/choices", data={"action": "subtract", "entry_id": entry})
    assert response.status_code == 403
    assert dashboard.entries("b1", EntryState.SUBTRACTED) == []


def test_a_wrong_token_in_form_or_header_is_refused(
    user_client: TestClient, dashboard: MemoryDashboard
) -> None:
    entry = _pending(dashboard)
    form = user_client.post(
        "/budgets/b1/choices", data={"action": "subtract", "entry_id": entry, "csrf_token": "forged"}
    )
    header = user_client.post(
        "/budgets/b1/choices",
        data={"action": "subtract", "entry_id": entry},
        headers={"x-csrf-token": "forged"},
    )
    assert form.status_code == header.status_code == 403
    assert dashboard.entries("b1", EntryState.SUBTRACTED) == []


def test_the_api_from_a_browser_session_needs_the_header(
    user_client: TestClient, dashboard: MemoryDashboard
) -> None:
    body = {"action": "subtract", "entry_ids": [_pending(dashboard)]}
    refused = user_client.post("/api/v1/budgets/b1/choices", json=body)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    accepted = user_client.post(
        "/api/v1/budgets/b1/choices",
        json=body,
        headers={"x-csrf-token": user_client.csrf},  # type: ignore[attr-defined]
    )
    assert accepted.status_code == 200


def test_the_api_token_needs_no_csrf_token(
    client: TestClient, dashboard: MemoryDashboard, api_headers: dict[str, str]
) -> None:
    body = {"action": "exclude", "entry_ids": [_pending(dashboard)]}
    assert client.post("/api/v1/budgets/b1/choices", json=body, headers=api_headers).status_code == 200


def test_the_login_form_itself_needs_the_token(client: TestClient, password: str) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "anna", "password": password})
    assert response.status_code == 403
    assert client.get("/").status_code == 303


def test_the_token_changes_at_login(client: TestClient, password: str, csrf: object) -> None:
    import re

    before = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert before
    client.post("/login", data={"username": "anna", "password": password, "csrf_token": before[1]})
    after = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert after and after[1] != before[1]
