"""Why a budget's automatic top-ups are held, as its views show it: the guardrail the next crossing
would meet, with the figures behind it, and the same answer the crossing itself gives."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from budgets_fixtures import GLOBEX, NOW, make_budget, put_entry, put_topup
from sqlalchemy import Engine
from support.clock import PinnedClock

from connector.billing import Budget, Guardrails, ReplenishMode, ReplenishSettings, TopUpBlocked
from connector.budgets import BudgetsService, Choice, Selection
from connector.budgets.reports import balance_rows
from connector.budgets.topup_hold import TopupHold, topup_hold
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.invoicing.notify import Notification, NotificationKind, Notifier
from connector.web.views import TopupHoldView

AUTO = ReplenishSettings(ReplenishMode.AUTO, fixed_amount=Decimal(1000), department_id="d1", tax_rate_id="t1")


class Recorded(Notifier):
    """Keeps every notification instead of posting it."""

    def __init__(self) -> None:
        super().__init__(None)
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> bool:
        self.sent.append(notification)
        return True


def _budget(**changes: Any) -> Budget:
    return make_budget(replenish=AUTO, **changes)


def _hold(engine: Engine, b: Budget) -> TopupHold | None:
    with engine.connect() as conn:
        settled = balance_rows(conn, [b.id])[0].settled
        return topup_hold(conn, b, settled=settled, now=NOW)


@pytest.fixture
def service(engine: Engine) -> BudgetsService:
    return BudgetsService(engine, clock=PinnedClock(NOW))


def test_a_one_off_budget_and_a_free_auto_budget_hold_nothing(
    service: BudgetsService, engine: Engine
) -> None:
    one_off = make_budget()
    service.create(one_off, actor="test")
    assert _hold(engine, one_off) is None
    auto = _budget(id="b2", customer=GLOBEX)
    service.create(auto, actor="test")
    assert _hold(engine, auto) is None


def test_an_open_top_up_names_itself(service: BudgetsService, engine: Engine) -> None:
    b = _budget()
    service.create(b, actor="test")
    put_topup(engine, "t-open", "booked", invoice_number="2026/0007")
    hold = _hold(engine, b)
    assert hold is not None and hold.reason is TopUpBlocked.OPEN_TOPUP and hold.code == "open_topup"
    assert "top-up t-open is booked (invoice 2026/0007)" in hold.detail
    shown = BudgetsWebAdapter(service).budget_page("b1").topup_hold
    assert shown == TopupHoldView("open_topup", TopUpBlocked.OPEN_TOPUP.value, hold.detail)


def test_failures_in_a_row_pause_and_say_which_to_retry(service: BudgetsService, engine: Engine) -> None:
    b = _budget()
    service.create(b, actor="test")
    put_topup(engine, "t0", "credited", at=NOW - timedelta(days=40))
    for n in range(3):
        put_topup(
            engine, f"t{n + 1}", "failed", at=NOW - timedelta(days=3 - n), last_error=f"HTTP 400 #{n + 1}"
        )
    hold = _hold(engine, b)
    assert hold is not None and hold.code == "paused"
    assert hold.detail.startswith("the last 3 automatic top-ups failed in a row (paused after 3)")
    assert "the latest, t3, failed with: HTTP 400 #3" in hold.detail
    assert "`prepaid topups retry t3`" in hold.detail
    put_topup(engine, "t4", "credited", at=NOW - timedelta(hours=1))
    assert _hold(engine, b) is None


def test_the_monthly_cap_counts_this_month_in_the_budget_zone(
    service: BudgetsService, engine: Engine
) -> None:
    b = _budget(guardrails=Guardrails(monthly_cap=Decimal(1500)))
    service.create(b, actor="test")
    put_topup(engine, "feb", "credited", at=datetime(2026, 2, 28, 22, 30, tzinfo=NOW.tzinfo))
    assert _hold(engine, b) is None
    put_topup(engine, "mar", "credited", at=datetime(2026, 2, 28, 23, 30, tzinfo=NOW.tzinfo))
    hold = _hold(engine, b)
    assert hold is not None and hold.code == "monthly_cap"
    assert hold.detail == (
        "EUR 1,000.00 invoiced automatically since 2026-03-01; the next top-up of EUR 1,000.00 "
        "would pass the monthly cap of EUR 1,500.00"
    )


def test_the_no_top_up_horizon_before_the_end(service: BudgetsService, engine: Engine) -> None:
    b = _budget(end=date(2026, 3, 20), guardrails=Guardrails(no_topup_days_before_end=15))
    service.create(b, actor="test")
    hold = _hold(engine, b)
    assert hold is not None and hold.reason is TopUpBlocked.NEAR_END
    assert hold.detail == "the budget ends on 2026-03-20, and no automatic top-up is made in its last 15 days"


def test_a_target_balance_is_measured_from_just_below_the_threshold(
    service: BudgetsService, engine: Engine
) -> None:
    target = ReplenishSettings(
        ReplenishMode.AUTO, target_balance=Decimal(1500), department_id="d1", tax_rate_id="t1"
    )
    b = make_budget(replenish=target, guardrails=Guardrails(monthly_cap=Decimal(1001)))
    service.create(b, actor="test")
    assert _hold(engine, b) is None
    put_topup(engine, "mar", "credited", amount_cents=100)
    hold = _hold(engine, b)
    assert hold is not None and "the next top-up of EUR 1,000.01 would pass" in hold.detail


def test_the_budget_view_says_what_the_crossing_then_does(engine: Engine) -> None:
    """The hold shown beforehand is the reason the crossing's notification gives when it comes."""
    notifier = Recorded()
    service = BudgetsService(engine, notifier=notifier, clock=PinnedClock(NOW))
    b = _budget(guardrails=Guardrails(pause_after_failures=2))
    service.create(b, actor="test")
    for n in range(2):
        put_topup(engine, f"f{n}", "failed", at=NOW - timedelta(days=2 - n))
    shown = _hold(engine, b)
    assert shown is not None
    put_entry(engine, "big", seconds=18 * 3600)
    service.apply_entries(["big"])
    service.choose(Choice.SUBTRACT, Selection(("big",)), actor="anna")
    blocked = [n.fields["reason"] for n in notifier.sent if n.kind is NotificationKind.TOPUP_BLOCKED]
    assert blocked == [shown.reason.value]
