"""Operator actions (list, retry, cancel), replenish validation and notification delivery."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from invoicing_fakes import FakeInvoices, FakeReference, make_budget, store_budgets
from sqlalchemy import Engine
from support.clock import PinnedClock

from connector.billing.budget import Guardrails, ReplenishMode, ReplenishSettings
from connector.budgets.invoicing_ports import LedgerCredits, StoredBudgets
from connector.invoicing import (
    InvalidReplenishSettings,
    Notifier,
    TopupBusy,
    TopupNotCancellable,
    TopupNotFound,
    TopupNotRetryable,
    TopupOperator,
    TopupStatus,
    TopupWorker,
    plan_topup,
    validate_replenish,
)


def plan(db: Engine, clock: PinnedClock, budget_id: str = "b1") -> str:
    with db.begin() as conn:
        topup_id = plan_topup(
            conn, budget_id=budget_id, amount_cents=200_000, quantity_seconds=None, reason="r", now=clock()
        )
    assert topup_id is not None
    return topup_id


def worker(db: Engine, api: FakeInvoices, clock: PinnedClock, budget: Any = None) -> TopupWorker:
    """The budget (b1) stored, and a worker on the ports the container wires; once per test."""
    store_budgets(db, budget or make_budget(), clock=clock)
    return TopupWorker(db, api, StoredBudgets(), LedgerCredits(), clock=clock)


def test_list_filters_by_budget_and_status(db: Engine, clock: PinnedClock) -> None:
    first, second = plan(db, clock, "b1"), plan(db, clock, "b2")
    operator = TopupOperator(db, clock=clock)
    assert {t.id for t in operator.list()} == {first, second}
    assert [t.id for t in operator.list(budget_id="b2")] == [second]
    assert operator.list(status="failed") == []
    with pytest.raises(Exception, match="unknown status 'bogus'"):
        operator.list(status="bogus")


def test_cancel_in_the_veto_window_deletes_the_draft(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    topup_id = plan(db, clock)
    work = worker(db, api, clock, make_budget(guardrails=Guardrails(veto_hours=8)))
    work.run_once()
    cancelled = TopupOperator(db, api, clock=clock).cancel(topup_id)
    assert cancelled.status is TopupStatus.CANCELLED
    assert api.invoices == {}
    clock.advance(hours=9)
    assert work.run_once() == 0


def test_cancel_after_an_unknown_draft_outcome_finds_and_deletes_the_draft(
    db: Engine, clock: PinnedClock
) -> None:
    api = FakeInvoices()
    api.fail("invoices.draft", "unknown")
    topup_id = plan(db, clock)
    worker(db, api, clock).run_once()
    TopupOperator(db, api, clock=clock).cancel(topup_id)
    assert api.invoices == {}


def test_a_booked_topup_cannot_be_cancelled(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    topup_id = plan(db, clock)
    worker(db, api, clock).run_once()
    with pytest.raises(TopupNotCancellable, match="credit note"):
        TopupOperator(db, api, clock=clock).cancel(topup_id)


def test_cancel_waits_for_a_worker_that_holds_the_topup(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    topup_id = plan(db, clock)
    operator = TopupOperator(db, api, clock=clock)
    errors: list[Exception] = []

    def person_cancels(point: str) -> None:
        if point == "drafted":
            try:
                operator.cancel(topup_id)
            except TopupBusy as busy:
                errors.append(busy)

    store_budgets(db, make_budget(), clock=clock)
    TopupWorker(db, api, StoredBudgets(), LedgerCredits(), clock=clock, checkpoint=person_cancels).run_once()
    assert len(errors) == 1 and "try again in a minute" in str(errors[0])


def test_a_planned_topup_is_cancelled_without_teamleader(db: Engine, clock: PinnedClock) -> None:
    topup_id = plan(db, clock)
    assert TopupOperator(db, None, clock=clock).cancel(topup_id).status is TopupStatus.CANCELLED


def test_retry_resumes_a_failed_topup_once_the_cause_is_fixed(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    api.fail("invoices.draft", "refused")
    topup_id = plan(db, clock)
    work = worker(db, api, clock)
    work.run_once()
    operator = TopupOperator(db, clock=clock)
    assert operator.retry(topup_id).status is TopupStatus.DRAFTING
    work.run_once()
    assert operator.get(topup_id).status is TopupStatus.CREDITED
    assert len(api.invoices) == 1
    with pytest.raises(TopupNotRetryable, match="credited"):
        operator.retry(topup_id)


def test_retry_refuses_when_the_budget_has_another_open_topup(db: Engine, clock: PinnedClock) -> None:
    api = FakeInvoices()
    api.fail("invoices.draft", "refused")
    failed = plan(db, clock)
    worker(db, api, clock).run_once()
    plan(db, clock)
    with pytest.raises(TopupNotRetryable, match="another open top-up"):
        TopupOperator(db, clock=clock).retry(failed)


def test_unknown_ids_are_user_errors(db: Engine, clock: PinnedClock) -> None:
    with pytest.raises(TopupNotFound, match="prepaid topups list") as caught:
        TopupOperator(db, clock=clock).cancel("nope")
    assert caught.value.exit_code == 2


def _settings(**values: Any) -> ReplenishSettings:
    base: dict[str, Any] = {
        "mode": ReplenishMode.AUTO,
        "fixed_amount": 100,
        "department_id": "dep-1",
        "tax_rate_id": "tax-21",
    }
    return ReplenishSettings(**{**base, **values})


def test_valid_replenish_settings_pass() -> None:
    validate_replenish(FakeReference(), _settings())
    validate_replenish(FakeReference(), ReplenishSettings(mode=ReplenishMode.ONE_OFF, department_id="gone"))


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"department_id": "dep-9"}, "department_id", "no department 'dep-9'"),
        ({"department_id": "dep-old"}, "department_id", "archived"),
        ({"tax_rate_id": "tax-6"}, "tax_rate_id", "not a tax rate of department 'dep-1'"),
        ({"tax_rate_id": "tax-0"}, "tax_rate_id", "its tax rates: tax-21 (21%)"),
    ],
)
def test_invalid_replenish_settings_name_the_field(values: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InvalidReplenishSettings, match=re.escape(words)) as caught:
        validate_replenish(FakeReference(), _settings(**values))
    assert caught.value.field == field


def test_a_notification_is_a_slack_and_teams_compatible_post() -> None:
    received: list[dict[str, Any]] = []

    def hook(request: httpx.Request) -> httpx.Response:
        received.append(json.loads(request.content))
        return httpx.Response(200)

    notifier = Notifier("https://hooks.example.test/x", transport=httpx.MockTransport(hook))
    assert notifier.low_balance("Support Acme", "EUR 120.00", "EUR 500.00", one_off=True)
    assert received == [
        {
            "text": "Budget Support Acme is below its threshold: EUR 120.00 left (threshold EUR 500.00); "
            "no top-up is created (replenish mode one-off).",
            "event": "low_balance",
            "fields": {"budget": "Support Acme", "balance": "EUR 120.00", "threshold": "EUR 500.00"},
        }
    ]


@pytest.mark.parametrize("failure", ["status", "connection"])
def test_a_failed_notification_is_logged_not_raised(failure: str) -> None:
    def hook(request: httpx.Request) -> httpx.Response:
        if failure == "connection":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(500)

    notifier = Notifier("https://hooks.example.test/x", transport=httpx.MockTransport(hook))
    assert notifier.budget_exhausted("Support Acme", "EUR -10.00") is False
