"""The budget page and the API show entries Teamleader invoiced (read-only) and why top-ups are held."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient
from support.clock import PINNED_AT

from connector.web.memory import MemoryBudget, MemoryDashboard, sample_dashboard
from connector.web.views import EntryState, EntryView, TopupHoldView

HOLD = TopupHoldView(
    "paused",
    "automatic top-ups are paused after repeated failures",
    "the last 3 automatic top-ups failed in a row (paused after 3)",
)
INVOICED = EntryView(
    id="b1-tl1",
    state=EntryState.INVOICED,
    day=PINNED_AT.date() - timedelta(days=2),
    person="Ann Peeters",
    work_type="Design",
    description="Logo <v2>",
    duration_seconds=5400,
    rounded_seconds=5400,
    rate=None,
    amount=None,
    warning="invoiced in Teamleader (invoice 2026/0042)",
    teamleader_invoice_id="2026/0042",
)


@pytest.fixture
def held(client: TestClient) -> MemoryDashboard:
    """Budget b1 of the sample with an entry Teamleader invoiced and its top-ups paused."""
    detail = sample_dashboard(budgets=1, entries=2, today=PINNED_AT.date()).budget_page("b1")
    entries = {e.id: e for e in (*detail.pending, INVOICED)}
    budget = MemoryBudget(detail.budget, entries, list(detail.ledger), list(detail.topups), topup_hold=HOLD)
    dashboard = MemoryDashboard([budget], now=PINNED_AT)
    client.app.state.web.read_model = dashboard  # type: ignore[attr-defined]
    client.app.state.web.actions = dashboard  # type: ignore[attr-defined]
    return dashboard


def test_budget_page_lists_invoiced_entries_without_a_choice(
    user_client: TestClient, held: MemoryDashboard
) -> None:
    page = user_client.get("/budgets/b1").text
    section = page[page.index('<section id="invoiced">') :]
    section = section[: section.index("</section>")]
    assert "Invoiced in Teamleader" in section and "(1)" in section
    assert 'data-entry="b1-tl1"' in section and "invoice 2026/0042" in section and "1:30" in section
    assert "Logo &lt;v2&gt;" in section
    assert "<button" not in section and 'value="b1-tl1"' not in page


def test_budget_page_says_why_top_ups_are_held(user_client: TestClient, held: MemoryDashboard) -> None:
    page = user_client.get("/budgets/b1").text
    assert 'id="topup-hold" data-code="paused"' in page
    assert "Automatic top-ups held: automatic top-ups are paused after repeated failures." in page
    assert "the last 3 automatic top-ups failed in a row" in page


def test_no_hold_no_banner_and_no_invoiced_section(user_client: TestClient) -> None:
    page = user_client.get("/budgets/b1").text
    assert 'id="topup-hold"' not in page and 'id="invoiced"' not in page


def test_a_choice_on_an_invoiced_entry_is_refused(user_client: TestClient, held: MemoryDashboard) -> None:
    response = user_client.post(
        "/budgets/b1/choices",
        data={"action": "subtract", "entry_id": "b1-tl1"},
        headers={"x-csrf-token": user_client.csrf, "x-requested-with": "fetch"},  # type: ignore[attr-defined]
    )
    assert response.status_code == 409 and "invoiced" in response.text


def test_api_lists_invoiced_entries_and_the_hold(
    client: TestClient, held: MemoryDashboard, api_headers: dict[str, str]
) -> None:
    client.headers.update(api_headers)
    invoiced = client.get("/api/v1/budgets/b1/entries", params={"state": "invoiced"}).json()
    assert [(e["id"], e["state"], e["teamleader_invoice_id"], e["amount"]) for e in invoiced] == [
        ("b1-tl1", "invoiced", "2026/0042", None)
    ]
    every = client.get("/api/v1/budgets/b1/entries").json()
    assert {e["state"] for e in every} == {"pending", "invoiced"}
    assert all(e["teamleader_invoice_id"] is None for e in every if e["state"] == "pending")
    detail = client.get("/api/v1/budgets/b1").json()
    assert detail["topup_hold"] == {"code": "paused", "reason": HOLD.reason, "detail": HOLD.detail}


def test_api_budget_without_a_hold_says_null(client: TestClient, api_headers: dict[str, str]) -> None:
    client.headers.update(api_headers)
    assert client.get("/api/v1/budgets/b1").json()["topup_hold"] is None
