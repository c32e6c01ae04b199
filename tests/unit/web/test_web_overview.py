"""The overview points at what needs doing: each budget's concerns, most urgent first, and counts
that agree with the rows shown (page and API), over in-memory budgets with chosen figures."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from starlette.testclient import TestClient
from support.clock import PINNED_AT

from connector.web.memory import MemoryBudget, MemoryDashboard
from connector.web.views import BudgetRow, Concern, EntryState, EntryView, LedgerLineView, TopupHoldView, Unit

TODAY = PINNED_AT.date()
HELD = TopupHoldView("paused", "automatic top-ups are paused after repeated failures", "3 failed in a row")


def _row(budget_id: str, settled: str, provisional: str, **more: object) -> BudgetRow:
    base = BudgetRow(
        id=budget_id,
        customer_name=f"Customer {budget_id}",
        name="Retainer",
        unit=Unit.MONEY,
        currency="EUR",
        settled=Decimal(settled),
        provisional=Decimal(provisional),
        threshold=Decimal(500),
        share_used=Decimal(0),
        hours=None,
    )
    return replace(base, **more)  # type: ignore[arg-type]


ROWS = [
    _row("calm", "2000", "2000", forecast_date=TODAY + timedelta(days=40), crossing_in_days=40),
    _row("soon", "900", "900", forecast_date=TODAY + timedelta(days=5), crossing_in_days=5),
    _row("pending-negative", "300", "-3312.50"),
    _row("below", "400", "400", forecast_date=TODAY, crossing_in_days=0),
    _row("held", "1200", "1200", topup_hold=HELD),
]


@pytest.mark.parametrize(
    ("row", "concerns"),
    [
        (ROWS[0], ()),
        (ROWS[1], (Concern.CROSSING_SOON,)),
        (ROWS[2], (Concern.NEGATIVE,)),
        (ROWS[3], (Concern.BELOW_THRESHOLD,)),
        (ROWS[4], (Concern.TOPUP_HELD,)),
        (_row("both", "-5", "-5", topup_hold=HELD), (Concern.NEGATIVE, Concern.TOPUP_HELD)),
        (_row("pending-below", "600", "450", crossing_in_days=3), (Concern.BELOW_THRESHOLD,)),
    ],
)
def test_concerns_count_both_balances(row: BudgetRow, concerns: tuple[Concern, ...]) -> None:
    assert row.concerns == concerns
    assert row.urgency == (concerns[0].rank if concerns else len(Concern))


def _memory(row: BudgetRow, at: datetime) -> MemoryBudget:
    """The in-memory budget that shows `row`'s balances: one credit line, one pending entry."""
    budget = MemoryBudget(row)
    budget.ledger.append(
        LedgerLineView(f"{row.id}-open", at, "opening", row.settled, row.settled, "test", "Opening")
    )
    coming = row.settled - row.provisional
    if coming:
        budget.entries[f"{row.id}-e1"] = EntryView(
            f"{row.id}-e1", EntryState.PENDING, TODAY, "Ann", "Design", "Work", 3600, 3600, coming, coming
        )
    return budget


@pytest.fixture
def overview_client(user_client: TestClient) -> TestClient:
    now = datetime.combine(TODAY, time(17), UTC)
    dashboard = MemoryDashboard([_memory(r, now) for r in ROWS], now=now)
    user_client.app.state.web.read_model = dashboard  # type: ignore[attr-defined]
    return user_client


def test_the_most_urgent_come_first_and_the_counts_match_the_rows(overview_client: TestClient) -> None:
    page = overview_client.get("/").text
    order = re.findall(r'data-budget="([\w-]+)"', page)
    assert order == ["pending-negative", "held", "below", "soon", "calm"]
    classes = dict(re.findall(r'<tr class="(\w*)" data-budget="([\w-]+)"', page)[i][::-1] for i in range(5))
    assert classes == {
        "pending-negative": "negative",
        "held": "below",
        "below": "below",
        "soon": "below",
        "calm": "",
    }
    counts = dict(re.findall(r'<span data-concern="(\w+)" data-count="(\d+)">', page))
    shown = re.findall(r'data-concerns="([\w ]*)"', page)
    for concern in Concern:
        assert int(counts[concern.value]) == sum(concern.value in s.split() for s in shown) == 1
    assert "Negative once pending time is subtracted" in page
    assert "Below threshold in 5 days" in page
    assert "Top-up held: automatic top-ups are paused" in page


def test_the_api_lists_the_same_order_with_concerns_and_forecast(overview_client: TestClient) -> None:
    budgets = overview_client.get("/api/v1/budgets").json()
    assert [b["id"] for b in budgets] == ["pending-negative", "held", "below", "soon", "calm"]
    soon = budgets[3]
    assert soon["concerns"] == ["crossing_soon"] and soon["urgency"] == 3
    assert soon["forecast_date"] == (TODAY + timedelta(days=5)).isoformat() and soon["crossing_in_days"] == 5
    assert budgets[1]["topup_hold"]["code"] == "paused"
    assert {"below_threshold", "negative", "forecast_date", "open_topup"} <= budgets[0].keys()
