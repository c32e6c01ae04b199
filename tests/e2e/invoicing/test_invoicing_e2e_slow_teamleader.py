"""A slow Teamleader does not stall every top-up, and a refused one is held, not forgotten.

Over real sockets to the sandbox: the budgets cross their thresholds through the budgets service
(an opening balance lowered below the threshold, the ledger's own crossing plans the top-up), and
the worker runs in the loop `prepaid serve` runs it in (`LoopWorker`), several top-ups in
flight. The sandbox makes half of the draft and book calls answer too late (a latency longer than
the stack's read timeout for invoice writes; the write is applied all the same): the worker
must keep crediting while that lasts, credit every budget once it ends, and still make exactly
one invoice and one credit per crossing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from invoicing_fakes import ledger_credits
from support.cli import json_output, run_cli
from support.waiting import wait_until

from connector.budgets.reports import balance_rows
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.invoicing import HoldState, TopupStatus, TopupWorker, held_or_failed_topups
from connector.invoicing.outbox import list_topups
from connector.workers import LoopWorker

pytestmark = pytest.mark.e2e
COUNT = 100
INJECTED_LATENCY = 0.15  # longer than the 0.1 s read timeout the stack gives invoice writes
THRESHOLD_CROSSINGS_BOUND = 180.0  # generous: how long a broken run may hang, not a figure


def cross(stack: Any, budget_id: str) -> None:
    """Raise the opening balance above the threshold, then lower it to zero: one real crossing."""
    service = stack.container.budgets()
    current = service.budget(budget_id)
    for opening in (Decimal(1000), Decimal(0)):
        current = service.update(replace(current, opening_balance=opening), actor="e2e")
        assert current is not None


def credited(stack: Any) -> int:
    with stack.container.engine.connect() as conn:
        return sum(1 for row in list_topups(conn) if row.status is TopupStatus.CREDITED)


@pytest.fixture
def looping() -> Iterator[list[LoopWorker]]:
    loops: list[LoopWorker] = []
    yield loops
    for loop in loops:
        loop.stop()


def test_with_half_the_invoice_calls_timing_out_every_crossing_is_credited_once(
    topups: Any, looping: list[LoopWorker]
) -> None:
    stack = topups(budgets=COUNT)
    stack.faults(
        *(
            {"endpoint": endpoint, "kind": "latency", "latency": INJECTED_LATENCY, "probability": 0.5}
            for endpoint in ("invoices.draft", "invoices.book")
        )
    )
    worker: TopupWorker = stack.worker(
        concurrency=8,
        backoff=timedelta(seconds=0.5),
        max_backoff=timedelta(seconds=2),
        resend_after=timedelta(seconds=1),  # well past the injected latency, as 60 s is in production
    )
    loop = LoopWorker("topups", lambda: worker.run_once(limit=10_000), 0.2)
    looping.append(loop)
    loop.start()
    for index in range(COUNT):
        cross(stack, f"b{index}")
        loop.poke()

    wait_until(
        lambda: credited(stack) >= COUNT // 2,
        timeout=THRESHOLD_CROSSINGS_BOUND,
        message=lambda: f"only {credited(stack)} of {COUNT} crossings were credited while the faults lasted",
    )
    fired = stack.fired()
    assert min(fired.values()) >= 10, fired  # the faults were biting all along
    stack.clear_faults()
    wait_until(
        lambda: credited(stack) == COUNT,
        timeout=THRESHOLD_CROSSINGS_BOUND,
        message=lambda: f"{credited(stack)} of {COUNT} crossings credited after the faults ended",
    )

    invoices = stack.marked_invoices()
    assert len(invoices) == COUNT
    assert len({invoice.purchase_order_number for invoice in invoices}) == COUNT
    assert {invoice.status for invoice in invoices} == {"outstanding"}
    with stack.container.engine.connect() as conn:
        made = list_topups(conn)
        settled = {row.budget_id: row.settled for row in balance_rows(conn)}
        assert held_or_failed_topups(conn) == []
    assert len(made) == COUNT and {row.budget_id for row in made} == set(stack.budgets)
    credits = sorted((c["budget_id"], c["source_key"]) for c in ledger_credits(stack.container.engine))
    assert credits == sorted((row.budget_id, f"topup:{row.id}") for row in made)
    assert settled == {budget_id: 200_000 for budget_id in stack.budgets}


def _show(stack: Any, tmp_path: Path, *args: str) -> Any:
    return json_output(run_cli(stack.container.engine, tmp_path, *args, columns=250))


def test_a_refused_draft_is_held_with_its_reason_and_retry_until_retried(topups: Any, tmp_path: Path) -> None:
    stack = topups()
    stack.faults({"endpoint": "invoices.draft", "kind": "status", "status": 400, "count": 1})
    cross(stack, "b0")
    stack.worker().run_once()
    with stack.container.engine.connect() as conn:
        [topup] = list_topups(conn)
        [held] = held_or_failed_topups(conn, budget_ids=["b0"])
    assert topup.status is TopupStatus.FAILED and stack.marked_invoices() == []
    retry = f"prepaid topups retry {topup.id}"
    assert (held.topup_id, held.state, held.command) == (topup.id, HoldState.HELD, retry)
    assert held.reason.startswith("Teamleader refused the draft: ") and "Injected fault" in held.reason

    shown = _show(stack, tmp_path, "budgets", "show", "b0", "--json")
    hold = shown["topup_hold"]
    assert (hold["code"], hold["topup_id"], hold["retry_command"]) == ("failed", topup.id, retry)
    assert "Teamleader refused the draft" in hold["detail"] and retry in hold["detail"]
    assert shown["forecast"]["next_topup_date"] is None
    assert shown["forecast"]["topup_held"] == hold
    [forecast] = _show(stack, tmp_path, "forecast", "--json")["budgets"]
    assert forecast["next_topup_date"] is None and forecast["topup_held"] == hold
    page = BudgetsWebAdapter(stack.container.budgets()).budget_page("b0")
    assert page.topup_hold is not None and page.topup_hold.code == "failed"
    assert retry in page.topup_hold.detail and "Teamleader refused the draft" in page.topup_hold.detail
    assert page.forecast.topup_held is not None and page.forecast.next_topup_date is None

    retried = _show(stack, tmp_path, "topups", "retry", topup.id, "--json")
    assert (retried["id"], retried["status"]) == (topup.id, "drafting")
    stack.worker().run_once()
    with stack.container.engine.connect() as conn:
        [after] = list_topups(conn)
        assert held_or_failed_topups(conn) == []
    assert after.status is TopupStatus.CREDITED
    assert len(stack.marked_invoices()) == 1
    assert _show(stack, tmp_path, "budgets", "show", "b0", "--json")["topup_hold"] is None
