"""The top-up state machine against a fake Teamleader: one invoice and one credit, whatever fails."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from invoicing_fakes import FakeInvoices, ledger_credits, make_budget, store_budgets
from sqlalchemy import Engine, select
from support.clock import PinnedClock

from connector.budgets.invoicing_ports import LedgerCredits, StoredBudgets
from connector.budgets.reports import balance_rows
from connector.budgets.topup_hold import topup_hold
from connector.invoicing import (
    CHECKPOINTS,
    HoldState,
    TopupStatus,
    TopupWorker,
    held_or_failed_topups,
    plan_topup,
)
from connector.invoicing.outbox import load
from connector.storage.tables.invoicing import topup_event


class Crash(BaseException):
    """Stands for the process dying at a checkpoint (not an Exception: nothing may catch it)."""


@pytest.fixture(autouse=True)
def _budgets(db: Engine, clock: PinnedClock) -> None:
    """b1 in money (EUR 2,000 top-ups) and b2 in hours, stored as the budgets service stores them."""
    store_budgets(db, make_budget("b1"), make_budget("b2", hours=True, customer_id="co-2"), clock=clock)


def plan(
    engine: Engine, clock: PinnedClock, budget_id: str = "b1", cents: int = 200_000, **extra: Any
) -> str:
    with engine.begin() as conn:
        topup_id = plan_topup(
            conn,
            budget_id=budget_id,
            amount_cents=cents,
            quantity_seconds=extra.pop("seconds", None),
            reason="balance EUR 450.00 crossed threshold EUR 500.00",
            now=clock(),
            **extra,
        )
    assert topup_id is not None
    return topup_id


def worker(engine: Engine, api: FakeInvoices, clock: PinnedClock, **options: Any) -> TopupWorker:
    """A worker on the ports `Container.topup_worker` wires: stored budgets, credits to the ledger."""
    return TopupWorker(
        engine,
        api,
        StoredBudgets(),
        LedgerCredits(),
        clock=clock,
        backoff=timedelta(seconds=10),
        **options,
    )


def assert_credited_once(engine: Engine, topup_id: str) -> None:
    """Exactly one ledger line for the top-up, worth its EUR 2,000.00 to the cent."""
    credits = [(c["source_key"], c["amount_cents"]) for c in ledger_credits(engine)]
    assert credits == [(f"topup:{topup_id}", 200_000)]


def status(engine: Engine, topup_id: str) -> TopupStatus:
    with engine.connect() as conn:
        found = load(conn, topup_id)
    assert found is not None
    return found.status


def test_a_planned_topup_becomes_one_booked_invoice_and_one_credit(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    topup_id = plan(db, clock)
    assert worker(db, api, clock).run_once() == 1

    [invoice] = api.invoices.values()
    body = invoice["body"]
    assert body["invoicee"] == {"customer": {"type": "company", "id": "co-1"}}
    assert body["department_id"] == "dep-1"
    assert body["payment_term"] == {"type": "after_invoice_date", "days": 30}
    assert body["currency"] == {"code": "EUR"}
    [line] = body["grouped_lines"][0]["line_items"]
    assert "section" not in body["grouped_lines"][0]
    assert line["tax_rate_id"] == "tax-21"
    assert line["quantity"] == Decimal(1)
    assert line["unit_price"] == {"amount": Decimal("2000.00"), "tax": "excluding"}
    assert line["description"] == "Top-up of Support b1 for Customer co-1: EUR 2,000.00"
    assert invoice["status"] == "outstanding"
    with db.connect() as conn:
        row = load(conn, topup_id)
        events = conn.execute(
            select(topup_event.c.to_status).where(topup_event.c.topup_id == topup_id)
        ).scalars()
        path = list(events)
    assert row is not None and row.status is TopupStatus.CREDITED
    assert body["purchase_order_number"] == row.marker and row.marker.startswith("PP-")
    assert path == ["planned", "drafting", "drafted", "booking", "booked", "credited"]
    [credit] = ledger_credits(db)
    assert {key: credit[key] for key in ("budget_id", "kind", "source_key", "invoice_id", "reason")} == {
        "budget_id": "b1",
        "kind": "topup_credit",
        "source_key": f"topup:{topup_id}",
        "invoice_id": row.invoice_id,
        "reason": "top-up invoice 2026 / 1",
    }
    assert (credit["amount_cents"], credit["seconds"]) == (200_000, 0)
    with db.connect() as conn:
        [balance] = balance_rows(conn, ["b1"])
    assert (balance.settled, balance.format(balance.settled)) == (200_000, "EUR 2,000.00")


def test_an_hours_budget_invoices_hours_at_the_hour_price(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    plan(db, clock, "b2", cents=95_000, seconds=10 * 3600)
    worker(db, api, clock).run_once()
    [invoice] = api.invoices.values()
    [line] = invoice["body"]["grouped_lines"][0]["line_items"]
    assert (line["quantity"], line["unit_price"]["amount"]) == (Decimal(10), Decimal(95))
    assert line["description"] == "Top-up of Support b2 for Customer co-2: 10.00 h"
    assert [(c["budget_id"], c["seconds"], c["amount_cents"]) for c in ledger_credits(db)] == [
        ("b2", 10 * 3600, 95_000)
    ]


def test_at_most_one_open_topup_per_budget_and_kind(db: Engine, clock: PinnedClock) -> None:
    plan(db, clock)
    with db.begin() as conn:
        again = plan_topup(
            conn, budget_id="b1", amount_cents=100, quantity_seconds=None, reason="x", now=clock()
        )
        other_kind = plan_topup(
            conn,
            budget_id="b1",
            amount_cents=100,
            quantity_seconds=None,
            reason="x",
            kind="overage",
            period_key="2026-10",
            now=clock(),
        )
    assert again is None
    assert other_kind is not None
    worker(db, FakeInvoices(), clock).run_once()
    with db.begin() as conn:
        assert plan_topup(
            conn, budget_id="b1", amount_cents=100, quantity_seconds=None, reason="x", now=clock()
        )


@pytest.mark.parametrize("how", ["unknown", "lost", "down"])
@pytest.mark.parametrize("endpoint", ["invoices.draft", "invoices.book"])
def test_a_doubtful_write_is_looked_up_before_it_is_sent_again(
    db: Engine, clock: PinnedClock, endpoint: str, how: str
) -> None:
    api = FakeInvoices()
    api.fail(endpoint, how)
    topup_id = plan(db, clock)
    work = worker(db, api, clock)
    work.run_once()
    assert status(db, topup_id) in (TopupStatus.DRAFTING, TopupStatus.BOOKING)
    assert work.run_once() == 0, "a postponed top-up waits for its next attempt"
    clock.advance(seconds=61)
    work.run_once()
    assert status(db, topup_id) is TopupStatus.CREDITED
    assert len(api.invoices) == 1
    assert api.booked_count() == 1
    assert_credited_once(db, topup_id)
    applied = how == "unknown"
    assert api.calls[endpoint] == (1 if applied else 2)


def test_the_marker_is_found_by_term_when_the_po_filter_is_ignored(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    api.ignore_po_filter = True
    api.draft_invoice({"purchase_order_number": "PO-of-someone-else"})
    api.fail("invoices.draft", "unknown")
    topup_id = plan(db, clock)
    work = worker(db, api, clock)
    work.run_once()
    clock.advance(minutes=1)
    work.run_once()
    assert status(db, topup_id) is TopupStatus.CREDITED
    assert api.calls["invoices.draft"] == 2
    assert len(api.invoices) == 2


def test_a_refused_draft_fails_with_its_reason_and_is_not_sent_twice(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    api.fail("invoices.draft", "refused")
    topup_id = plan(db, clock)
    worker(db, api, clock).run_once()
    with db.connect() as conn:
        row = load(conn, topup_id)
    assert row is not None and row.status is TopupStatus.FAILED
    assert row.last_error is not None and "tax rate does not belong" in row.last_error
    clock.advance(hours=2)
    assert worker(db, api, clock).run_once() == 0
    assert api.calls["invoices.draft"] == 1


def test_a_topup_fails_after_the_last_attempt_only_when_no_invoice_exists(
    db: Engine, clock: PinnedClock
) -> None:
    api = FakeInvoices()
    api.fail("invoices.draft", "lost", "lost", "lost")
    topup_id = plan(db, clock)
    work = worker(db, api, clock, max_attempts=3)
    for _ in range(4):
        work.run_once()
        clock.advance(hours=1)
    with db.connect() as conn:
        row = load(conn, topup_id)
    assert row is not None and row.status is TopupStatus.FAILED
    assert row.last_error is not None and "no answer from Teamleader after 3 tries" in row.last_error
    assert api.invoices == {}


def test_an_unreachable_teamleader_postpones_with_growing_backoff(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    api.fail("invoices.draft", "lost")
    api.fail("invoices.list", "down", "down")
    topup_id = plan(db, clock)
    work = worker(db, api, clock, resend_after=timedelta(0))
    delays = []
    for _ in range(3):
        work.run_once()
        with db.connect() as conn:
            row = load(conn, topup_id)
        assert row is not None and row.next_attempt_at is not None
        delays.append(row.next_attempt_at - clock())
        clock.at = row.next_attempt_at
    assert delays == [timedelta(seconds=10), timedelta(seconds=10), timedelta(seconds=10)]
    assert row.status is TopupStatus.DRAFTING
    work.run_once()
    assert status(db, topup_id) is TopupStatus.CREDITED


@pytest.mark.parametrize("point", CHECKPOINTS)
def test_a_crash_at_any_point_ends_in_one_invoice_and_one_credit(
    db: Engine, clock: PinnedClock, point: str
) -> None:
    api = FakeInvoices()
    topup_id = plan(db, clock)

    def crash(name: str) -> None:
        if name == point:
            raise Crash(name)

    with pytest.raises(Crash):
        worker(db, api, clock, checkpoint=crash, name="w1", lease=timedelta(minutes=5)).run_once()
    restarted = worker(db, api, clock, name="w2")
    assert restarted.run_once() == 0, "the dead worker's lease holds until it expires"
    clock.advance(minutes=6)
    restarted.run_once()
    assert status(db, topup_id) is TopupStatus.CREDITED
    assert len(api.invoices) == 1 and api.booked_count() == 1
    assert_credited_once(db, topup_id)


def test_a_restarted_worker_with_the_same_name_resumes_at_once(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    topup_id = plan(db, clock)

    def crash(name: str) -> None:
        if name == "draft-sent":
            raise Crash(name)

    with pytest.raises(Crash):
        worker(db, api, clock, checkpoint=crash, name="host:worker").run_once()
    worker(db, api, clock, name="host:worker").run_once()
    assert status(db, topup_id) is TopupStatus.CREDITED
    assert api.calls["invoices.draft"] == 1


def test_a_live_worker_keeps_its_topup_even_after_its_lease_expired(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    topup_id = plan(db, clock)
    second = worker(db, api, clock, name="w2")
    driven_by_second: list[int] = []

    def meanwhile(name: str) -> None:
        if name == "drafting":
            clock.advance(minutes=10)
            driven_by_second.append(second.run_once())

    worker(db, api, clock, name="w1", checkpoint=meanwhile, lease=timedelta(minutes=5)).run_once()
    assert driven_by_second == [0]
    assert status(db, topup_id) is TopupStatus.CREDITED
    assert len(api.invoices) == 1
    assert_credited_once(db, topup_id)


def test_checkpoints_come_in_the_order_of_the_machine(db: Engine, clock: PinnedClock) -> None:
    seen: list[str] = []
    plan(db, clock)
    worker(db, FakeInvoices(), clock, checkpoint=seen.append).run_once()
    assert tuple(seen) == CHECKPOINTS


def test_a_draft_whose_answer_never_came_is_not_sent_again_before_teamleader_could_apply_it(
    db: Engine, clock: PinnedClock
) -> None:
    """The answer timed out, not necessarily the work: Teamleader may apply the draft later. Until
    `resend_after` has passed since it was sent, a marker lookup that finds nothing only plans
    another look; an invoice that shows up meanwhile is adopted, never drafted twice."""
    api = FakeInvoices()
    api.fail("invoices.draft", "lost")
    topup_id = plan(db, clock)
    work = worker(db, api, clock, resend_after=timedelta(seconds=60))
    work.run_once()
    clock.advance(seconds=11)
    work.run_once()
    assert (status(db, topup_id), api.calls["invoices.draft"]) == (TopupStatus.DRAFTING, 1)
    with db.connect() as conn:
        marker = load(conn, topup_id).marker  # type: ignore[union-attr]
    api.draft_invoice({"purchase_order_number": marker})  # the first draft, applied late
    clock.advance(seconds=30)
    assert work.run_once() == 0, "the next look is planned for when the minute is over"
    clock.advance(seconds=20)
    work.run_once()
    assert status(db, topup_id) is TopupStatus.CREDITED
    assert (len(api.invoices), api.calls["invoices.draft"]) == (1, 2)
    assert_credited_once(db, topup_id)


def test_several_topups_are_in_flight_at_once_and_each_is_driven_once(db: Engine, clock: PinnedClock) -> None:
    """One slow call holds one slot: with four slots, four drafts wait at Teamleader together."""
    store_budgets(db, *(make_budget(f"c{i}", customer_id=f"co-c{i}") for i in range(4)), clock=clock)
    api = SlowDrafts(together=4)
    ids = [plan(db, clock, budget_id=f"c{i}") for i in range(4)]
    assert worker(db, api, clock, concurrency=4).run_once() == 4
    assert {status(db, topup_id) for topup_id in ids} == {TopupStatus.CREDITED}
    assert (api.most_at_once, len(api.invoices), api.calls["invoices.draft"]) == (4, 4, 4)
    credits = sorted((c["source_key"], c["amount_cents"]) for c in ledger_credits(db))
    assert credits == sorted((f"topup:{topup_id}", 200_000) for topup_id in ids)


class SlowDrafts(FakeInvoices):
    """Each draft waits until `together` drafts are in flight at once (bounded, so a worker that
    drives one at a time fails the test instead of hanging), and counts the most seen."""

    def __init__(self, together: int) -> None:
        super().__init__()
        self._barrier = threading.Barrier(together)
        self._lock = threading.Lock()
        self._in_flight = 0
        self.most_at_once = 0

    def draft_invoice(self, body: Mapping[str, Any]) -> str:
        with self._lock:
            self._in_flight += 1
            self.most_at_once = max(self.most_at_once, self._in_flight)
        with contextlib.suppress(threading.BrokenBarrierError):  # a one-at-a-time worker
            self._barrier.wait(timeout=10)
        with self._lock:
            self._in_flight -= 1
            return super().draft_invoice(body)


def test_a_topup_waiting_to_retry_is_listed_as_retrying_and_holds_the_next_with_its_error(
    db: Engine, clock: PinnedClock
) -> None:
    api = FakeInvoices()
    api.fail("invoices.draft", "down")
    topup_id = plan(db, clock)
    work = worker(db, api, clock)
    work.run_once()
    b1 = make_budget("b1")
    with db.connect() as conn:
        [waiting] = held_or_failed_topups(conn)
        hold = topup_hold(conn, b1, settled=0, now=clock())
    assert (waiting.topup_id, waiting.state, waiting.command) == (
        topup_id,
        HoldState.RETRYING,
        f"prepaid topups retry {topup_id}",
    )
    assert waiting.next_try_at == clock() + timedelta(seconds=10) and "connection refused" in waiting.reason
    assert hold is not None and (hold.code, hold.topup_id) == ("open_topup", topup_id)
    assert "its last try failed" in hold.detail and hold.command == f"prepaid topups retry {topup_id}"
    clock.advance(seconds=10)
    work.run_once()
    with db.connect() as conn:
        assert held_or_failed_topups(conn) == []
        assert topup_hold(conn, b1, settled=200_000, now=clock()) is None
    assert status(db, topup_id) is TopupStatus.CREDITED
