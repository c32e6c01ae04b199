"""The JSON API: resources, choices, and RFC 9457 problem details for every error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from starlette.testclient import TestClient

from connector.web.memory import MemoryDashboard
from connector.web.views import EntryState

PROBLEM = "application/problem+json"


@pytest.fixture
def api(client: TestClient, api_headers: dict[str, str]) -> TestClient:
    client.headers.update(api_headers)
    return client


def _assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"] == PROBLEM  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and isinstance(body["title"], str) and "type" in body
    assert isinstance(body.get("detail"), str) and body.get("instance")
    return body


def test_budgets_list_with_amounts_as_strings(api: TestClient) -> None:
    budgets = api.get("/api/v1/budgets").json()
    assert {b["id"] for b in budgets} == {"b1", "b2", "b3"}
    assert isinstance(budgets[0]["settled"], str) and Decimal(budgets[0]["settled"]) > 0
    assert {"below_threshold", "negative", "forecast_date", "open_topup"} <= budgets[0].keys()


def test_entries_by_state_and_a_choice(api: TestClient, dashboard: MemoryDashboard) -> None:
    pending = api.get("/api/v1/budgets/b1/entries", params={"state": "pending"}).json()
    chosen = [e["id"] for e in pending[:2]]
    before = dashboard.budget_page("b1").budget.settled
    outcome = api.post("/api/v1/budgets/b1/choices", json={"action": "subtract", "entry_ids": chosen}).json()
    total = sum(Decimal(e["amount"]) for e in pending[:2])
    assert Decimal(outcome["settled"]) == before - total
    assert {e["id"] for e in api.get("/api/v1/budgets/b1/entries?state=subtracted").json()} == set(chosen)
    kinds = [line["kind"] for line in api.get("/api/v1/budgets/b1/ledger").json()]
    assert kinds.count("subtraction") == 2


def test_topups_detail_and_statement(api: TestClient) -> None:
    assert api.get("/api/v1/budgets/b1/topups").json()[0]["invoice_number"] == "2026/100"
    detail = api.get("/api/v1/budgets/b1").json()
    assert detail["budget"]["id"] == "b1" and detail["burn"]
    statement = api.get("/api/v1/budgets/b1/statements/2026-Q4").json()
    assert statement["period"] == "2026-Q4" and statement["period_start"] == "2026-10-01"
    assert Decimal(statement["closing"]) >= Decimal(statement["opening"])


def test_unknown_budget_is_a_404_problem(api: TestClient) -> None:
    body = _assert_problem(api.get("/api/v1/budgets/nope/ledger"), 404)
    assert body["type"] == "urn:prepaid:problem:unknown-budget"


def test_unknown_route_is_a_404_problem(api: TestClient) -> None:
    _assert_problem(api.get("/api/v1/nothing-here"), 404)


def test_invalid_body_is_a_422_problem_with_errors(api: TestClient) -> None:
    body = _assert_problem(
        api.post("/api/v1/budgets/b1/choices", json={"action": "delete", "entry_ids": []}), 422
    )
    assert isinstance(body["errors"], list) and body["errors"]


def test_bad_period_is_a_422_problem(api: TestClient) -> None:
    body = _assert_problem(api.get("/api/v1/budgets/b1/statements/2026-13"), 422)
    assert "2026-Q4" in str(body["detail"])


def test_refused_choice_is_a_409_problem(api: TestClient, dashboard: MemoryDashboard) -> None:
    entry = dashboard.entries("b1", EntryState.PENDING)[0].id
    body = _assert_problem(
        api.post("/api/v1/budgets/b1/choices", json={"action": "undo", "entry_ids": [entry]}), 409
    )
    assert entry in str(body["detail"])


def test_unknown_entries_are_a_404_problem(api: TestClient) -> None:
    _assert_problem(
        api.post("/api/v1/budgets/b1/choices", json={"action": "subtract", "entry_ids": ["zz"]}), 404
    )


def test_anonymous_401_is_a_problem(client: TestClient) -> None:
    _assert_problem(client.get("/api/v1/budgets/b1"), 401)


def test_openapi_schema_is_served_to_api_clients(api: TestClient) -> None:
    schema = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/budgets/{budget_id}/choices" in schema["paths"]
    assert not any(path.startswith("/budgets") for path in schema["paths"])
