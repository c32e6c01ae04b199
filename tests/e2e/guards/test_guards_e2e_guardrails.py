"""Each guardrail stops a top-up that the same budget without it creates, against the sandbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from guards_e2e_support import (
    budget_for,
    control,
    guarded_budget_stack,
    invoicing_reference,
    open_entries_by_company,
    plan_topup_now,
    requests_to,
)
from sqlalchemy import select

from connector.billing import Guardrails
from connector.billing.budget import DEFAULT_TIME_ZONE
from connector.budgets import BudgetsService
from connector.invoicing import TopupStatus
from connector.invoicing.notify import Notifier
from connector.invoicing.operator import TopupOperator
from connector.invoicing.outbox import list_topups, load
from connector.invoicing.teamleader_api import TeamleaderInvoices
from connector.storage.tables.budgets import ledger_line
from connector.storage.tables.invoicing import topup

pytestmark = pytest.mark.e2e


class Notifications:
    """A notification webhook that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    def notifier(self) -> Notifier:
        def handle(request: httpx.Request) -> httpx.Response:
            self.received.append(httpx.Response(200, content=request.content).json())
            return httpx.Response(200)

        return Notifier("http://notify.test/hook", transport=httpx.MockTransport(handle))


def _topups(stack: Any) -> dict[str, list[str]]:
    with stack.engine.connect() as conn:
        rows = conn.execute(select(topup.c.budget_id, topup.c.status)).all()
    found: dict[str, list[str]] = {}
    for budget_id, status in rows:
        found.setdefault(budget_id, []).append(status)
    return found


def test_the_monthly_cap_and_the_end_horizon_each_stop_a_topup_at_the_crossing(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox(companies=4, contacts=2, entries=160, months=3)
    stack = connect_stack(sandbox)
    stack.sync_engine().full()
    companies = sorted(open_entries_by_company(sandbox), key=lambda c: c)[:3]
    reference = invoicing_reference(sandbox)
    near_end = stack.clock.now().astimezone(ZoneInfo(DEFAULT_TIME_ZONE)).date() + timedelta(days=2)
    notes = Notifications()
    service = BudgetsService(stack.engine, clock=stack.clock.now, notifier=notes.notifier())
    budgets = {
        "control": budget_for("control", companies[0], reference=reference, end=near_end),
        "capped": budget_for(
            "capped", companies[1], reference=reference, guardrails=Guardrails(monthly_cap=500)
        ),
        "ending": budget_for(
            "ending",
            companies[2],
            reference=reference,
            end=near_end,
            guardrails=Guardrails(no_topup_days_before_end=5),
        ),
    }
    for b in budgets.values():
        service.create(b, actor="e2e")
    assert _topups(stack) == {"control": ["planned"]}
    blocked = {n["fields"].get("budget"): n["text"] for n in notes.received if n["event"] == "topup_blocked"}
    assert set(blocked) == {"Budget capped", "Budget ending"}
    assert "monthly cap" in blocked["Budget capped"]
    assert "ends within" in blocked["Budget ending"]


def test_after_k_failures_automatic_topups_pause_and_say_why(start_sandbox: Any, connect_stack: Any) -> None:
    sandbox, stack = guarded_budget_stack(
        start_sandbox, connect_stack, "paused", Guardrails(pause_after_failures=2)
    )
    control(sandbox, "POST", "faults", {"endpoint": "invoices.draft", "kind": "status", "status": 400})
    for _ in range(2):
        failed = plan_topup_now(stack, "paused")
        stack.topup_worker().run_once()
        with stack.engine.connect() as conn:
            assert (row := load(conn, failed)) is not None and row.status is TopupStatus.FAILED
    assert requests_to(sandbox, "invoices.draft") == 2
    control(sandbox, "DELETE", "faults")
    third = plan_topup_now(stack, "paused")
    stack.topup_worker().run_once()
    with stack.engine.connect() as conn:
        row = load(conn, third)
    assert row is not None and row.status is TopupStatus.CANCELLED
    assert "paused after repeated failures" in (row.last_error or "")
    assert requests_to(sandbox, "invoices.draft") == 2


def test_the_veto_window_holds_the_draft_and_a_cancel_stops_it_before_booking(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox, stack = guarded_budget_stack(start_sandbox, connect_stack, "veto", Guardrails(veto_hours=4))
    held = plan_topup_now(stack, "veto")
    stack.topup_worker().run_once()
    stack.topup_worker().run_once()
    with stack.engine.connect() as conn:
        row = load(conn, held)
    assert row is not None and row.status is TopupStatus.DRAFTED
    assert requests_to(sandbox, "invoices.book") == 0
    TopupOperator(stack.engine, TeamleaderInvoices(stack.teamleader()), actor="e2e:ann").cancel(held)
    stack.topup_worker().run_once()
    with stack.engine.connect() as conn:
        assert [t.status for t in list_topups(conn, budget_id="veto")] == [TopupStatus.CANCELLED]
        credits = conn.execute(select(ledger_line.c.id).where(ledger_line.c.kind == "topup_credit")).all()
    assert requests_to(sandbox, "invoices.book") == 0
    assert credits == []
