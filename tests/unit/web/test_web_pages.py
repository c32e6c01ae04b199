"""The dashboard pages: overview, budget page, choices with and without JavaScript, statements."""

from __future__ import annotations

import re
from decimal import Decimal

from starlette.testclient import TestClient
from support.clock import PINNED_AT

from connector.bootstrap import Container
from connector.web.memory import MemoryDashboard, sample_dashboard
from connector.web.views import EntryState


def test_overview_lists_every_budget_and_marks_the_low_ones(
    user_client: TestClient, dashboard: MemoryDashboard
) -> None:
    dashboard.subtract("b1", [e.id for e in dashboard.entries("b1")], "test")
    page = user_client.get("/").text
    for row in dashboard.overview():
        assert f'href="/budgets/{row.id}"' in page
    assert re.search(r'<tr class="(below|negative)?" data-budget="b1"', page)


def test_names_from_teamleader_are_escaped(container: Container, user_client: TestClient) -> None:
    many = sample_dashboard(budgets=5, entries=1, today=PINNED_AT.date())
    user_client.app.state.web.read_model = many  # type: ignore[attr-defined]
    page = user_client.get("/").text
    assert "Eetbar &lt;Fris&gt;" in page and "<Fris>" not in page


def test_overview_sorts_by_balance_both_ways(user_client: TestClient, dashboard: MemoryDashboard) -> None:
    dashboard.subtract("b2", [e.id for e in dashboard.entries("b2")], "test")
    ascending = re.findall(r'data-budget="(b\d)"', user_client.get("/?sort=balance&order=asc").text)
    descending = re.findall(r'data-budget="(b\d)"', user_client.get("/?sort=balance&order=desc").text)
    balances = {row.id: row.settled for row in dashboard.overview()}
    assert ascending == sorted(balances, key=lambda i: balances[i])
    assert descending == list(reversed(ascending))


def test_subtract_with_fetch_returns_the_live_fragment_with_the_new_balance(
    user_client: TestClient, dashboard: MemoryDashboard
) -> None:
    pending = dashboard.entries("b1", EntryState.PENDING)[:3]
    before = dashboard.budget_page("b1").budget.settled
    response = user_client.post(
        "/budgets/b1/choices",
        data={"action": "subtract", "entry_id": [e.id for e in pending]},
        headers={"x-csrf-token": user_client.csrf, "x-requested-with": "fetch"},  # type: ignore[attr-defined]
    )
    assert response.status_code == 200
    expected = before - sum((e.amount or Decimal(0) for e in pending), Decimal(0))
    assert f'id="settled" data-value="{expected}"' in response.text
    assert "<html" not in response.text


def test_subtract_without_javascript_redirects_back(
    user_client: TestClient, dashboard: MemoryDashboard
) -> None:
    entry = dashboard.entries("b1", EntryState.PENDING)[0]
    response = user_client.post(
        "/budgets/b1/choices",
        data={"action": "exclude", "entry_id": entry.id, "csrf_token": user_client.csrf},  # type: ignore[attr-defined]
    )
    assert response.status_code == 303 and response.headers["location"] == "/budgets/b1"
    assert dashboard.entries("b1", EntryState.EXCLUDED)[0].id == entry.id


def test_a_refused_choice_says_why(user_client: TestClient, dashboard: MemoryDashboard) -> None:
    entry = dashboard.entries("b1", EntryState.PENDING)[0]
    dashboard.subtract("b1", [entry.id], "test")
    response = user_client.post(
        "/budgets/b1/choices",
        data={"action": "subtract", "entry_id": entry.id},
        headers={"x-csrf-token": user_client.csrf, "x-requested-with": "fetch"},  # type: ignore[attr-defined]
    )
    assert response.status_code == 409
    assert "already" in response.text or "subtracted" in response.text


def test_budget_page_shows_chart_entries_topups_and_ledger(user_client: TestClient) -> None:
    page = user_client.get("/budgets/b1").text
    assert '<svg class="burn"' in page and 'class="threshold"' in page and 'class="topup"' in page
    assert 'name="entry_id" value="b1-e1"' in page
    assert "2026/100" in page
    assert "Opening credit" in page


def test_unknown_budget_is_a_404_page(user_client: TestClient) -> None:
    response = user_client.get("/budgets/nope")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


def test_statement_page_and_csv_list_every_subtraction(
    user_client: TestClient, dashboard: MemoryDashboard
) -> None:
    chosen = dashboard.entries("b1", EntryState.PENDING)[:2]
    dashboard.subtract("b1", [e.id for e in chosen], "test")
    month = f"{PINNED_AT:%Y-%m}"
    page = user_client.get(f"/budgets/b1/statements/{month}").text
    csv = user_client.get(f"/budgets/b1/statements/{month}/csv")
    assert csv.headers["content-type"].startswith("text/csv")
    for entry in chosen:
        assert entry.description in page
        assert entry.description in csv.text
        assert f"-{entry.amount}" in csv.text
    assert "opening balance" in csv.text and "closing balance" in csv.text
    assert "@media print" in user_client.get("/static/app.css").text


def test_statement_picker_redirects_to_the_canonical_period(user_client: TestClient) -> None:
    response = user_client.get("/budgets/b1/statement", params={"period": "2026-q4"})
    assert response.headers["location"] == "/budgets/b1/statements/2026-Q4"
    assert user_client.get("/budgets/b1/statement", params={"period": "soon"}).status_code == 422
