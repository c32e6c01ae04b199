"""The forecast through the budgets service, as `prepaid forecast`, `budgets show` and the budget page
read it: while a guardrail holds the budget's top-ups no top-up date is promised and the hold says
why; the crossing and zero dates stay; a one-off budget forecasts no top-up."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from budgets_fixtures import NOW, make_budget, put_entry, put_topup
from sqlalchemy import Engine
from support.cli import json_output, run_cli
from support.clock import PinnedClock, process_now

from connector.billing import Budget, Guardrails, ReplenishMode, ReplenishSettings, TopUpBlocked
from connector.budgets import BudgetsService, Choice, Selection
from connector.budgets.forecasting import BudgetForecast, forecast_all
from connector.budgets.web_adapter import BudgetsWebAdapter

AUTO = ReplenishSettings(ReplenishMode.AUTO, fixed_amount=Decimal(1000), department_id="d1", tax_rate_id="t1")
PAUSED = "automatic top-ups are paused after repeated failures"


def _burning(engine: Engine, b: Budget, now: datetime, hours: int) -> BudgetsService:
    """`b` (opening EUR 2,000, threshold 500, EUR 90 an hour) with `hours`, worked on the day of
    `now`, subtracted at `now`."""
    service = BudgetsService(engine, clock=PinnedClock(now))
    service.create(b, actor="test")
    put_entry(engine, "work", day=now.astimezone(b.zone).date(), seconds=hours * 3600)
    service.apply_entries(["work"])
    service.choose(Choice.SUBTRACT, Selection(("work",)), actor="anna")
    return service


def _only(engine: Engine, now: datetime) -> BudgetForecast:
    with engine.connect() as conn:
        [one] = forecast_all(conn, now=now)
    return one


def test_paused_top_ups_withdraw_the_forecast_top_up_until_one_goes_through(engine: Engine) -> None:
    service = _burning(engine, make_budget(replenish=AUTO), NOW, hours=10)
    free = _only(engine, NOW)
    today = NOW.astimezone(make_budget().zone).date()
    assert free.forecast.threshold_date == today + timedelta(days=21)
    assert free.forecast.next_topup_date == free.forecast.threshold_date and free.topup_held is None
    assert free.topups and free.topups[0].day == free.forecast.threshold_date

    for n in range(3):
        put_topup(engine, f"f{n}", "failed", at=NOW - timedelta(days=3 - n), last_error="unknown department")
    held = _only(engine, NOW)
    assert (held.forecast.next_topup_date, held.forecast.next_topup, held.topups) == (None, None, ())
    assert held.topup_held is not None and held.topup_held == held.hold
    assert (held.topup_held.code, held.topup_held.reason.value) == ("paused", PAUSED)
    assert (held.forecast.threshold_date, held.forecast.zero_date) == (
        free.forecast.threshold_date,
        free.forecast.zero_date,
    )
    page = BudgetsWebAdapter(service).budget_page("b1")
    assert page.forecast.next_topup_date is None and page.forecast.next_topup_amount is None
    assert page.forecast.topup_held == page.topup_hold
    assert page.forecast.topup_held is not None and page.forecast.topup_held.code == "paused"
    assert page.forecast.threshold_date == free.forecast.threshold_date

    put_topup(engine, "ok", "credited", at=NOW - timedelta(hours=1))
    assert _only(engine, NOW).forecast.next_topup_date == free.forecast.threshold_date
    assert BudgetsWebAdapter(service).budget_page("b1").forecast.topup_held is None


def test_an_open_top_up_withdraws_the_next_one(engine: Engine) -> None:
    service = _burning(engine, make_budget(replenish=AUTO), NOW, hours=10)
    put_topup(engine, "t-open", "booked", at=NOW - timedelta(hours=2), invoice_number="2026/0007")
    held = _only(engine, NOW)
    assert held.forecast.next_topup_date is None and held.topups == ()
    assert held.topup_held is not None and held.topup_held.reason is TopUpBlocked.OPEN_TOPUP
    assert "top-up t-open is booked (invoice 2026/0007)" in held.topup_held.detail
    page = BudgetsWebAdapter(service).budget_page("b1")
    assert page.forecast.topup_held is not None and page.forecast.topup_held.code == "open_topup"
    assert page.forecast.next_topup_date is None and page.forecast.zero_date is not None


@pytest.mark.parametrize(
    ("hours", "withdrawn"),
    [(10, True), (7, False)],
    ids=["crossing-this-month", "crossing-next-month"],
)
def test_the_monthly_cap_holds_only_the_month_it_counts(engine: Engine, hours: int, withdrawn: bool) -> None:
    """NOW is 2026-03-10: burning EUR 30 a day crosses on 03-31, EUR 21 a day on 04-21."""
    _burning(
        engine, make_budget(replenish=AUTO, guardrails=Guardrails(monthly_cap=Decimal(1500))), NOW, hours
    )
    put_topup(engine, "mar", "credited", at=NOW - timedelta(days=2))
    shown = _only(engine, NOW)
    assert shown.hold is not None and shown.hold.code == "monthly_cap"
    crossing = shown.forecast.threshold_date
    assert crossing == (date(2026, 3, 31) if withdrawn else date(2026, 4, 21))
    if withdrawn:
        assert shown.forecast.next_topup_date is None and shown.topups == ()
        assert shown.topup_held == shown.hold
    else:
        assert shown.forecast.next_topup_date == crossing and shown.topup_held is None
        assert shown.topups[0].day == crossing


def test_a_one_off_budget_forecasts_its_dates_and_no_top_up(engine: Engine) -> None:
    service = _burning(engine, make_budget(), NOW, hours=10)
    shown = _only(engine, NOW)
    assert shown.forecast.threshold_date == NOW.astimezone(make_budget().zone).date() + timedelta(days=21)
    assert (shown.forecast.next_topup_date, shown.topup_held, shown.hold, shown.topups) == (
        None,
        None,
        None,
        (),
    )
    page = BudgetsWebAdapter(service).budget_page("b1")
    assert page.forecast.next_topup_date is None and page.forecast.topup_held is None


def _cli(engine: Engine, tmp_path: Path, *args: str) -> Any:
    result = run_cli(engine, tmp_path, *args, columns=250)
    if "--json" in args:
        return json_output(result)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_command_line_keeps_its_fields_and_says_the_top_up_is_held(
    engine: Engine, tmp_path: Path
) -> None:
    """`prepaid` runs in its own process on the machine's clock, so this history is written at
    that clock's instant (the forecast counts the burn of the days before its "now"), for a budget
    that started a month before it."""
    now = process_now()
    today = now.astimezone(make_budget().zone).date()
    _burning(engine, make_budget(replenish=AUTO, start=today - timedelta(days=30)), now, hours=10)
    for n in range(3):
        put_topup(engine, f"f{n}", "failed", at=now - timedelta(days=3 - n), last_error="unknown department")
    engine.dispose()

    forecast = _cli(engine, tmp_path, "forecast", "--json")
    [row] = forecast["budgets"]
    assert (row["next_topup_date"], row["next_topup_amount"]) == (None, None)
    assert row["threshold_date"] == str(today + timedelta(days=21)) and row["zero_date"]
    assert row["replenish"] == "auto"
    assert row["topup_held"]["code"] == "paused" and row["topup_held"]["reason"] == PAUSED
    assert "`prepaid topups retry f2`" in row["topup_held"]["detail"]
    assert forecast["cash_in"] == []
    assert f"held: {PAUSED}" in _cli(engine, tmp_path, "forecast")

    shown = _cli(engine, tmp_path, "budgets", "show", "b1", "--json")
    assert shown["forecast"]["next_topup_date"] is None and shown["forecast"]["next_topup_amount"] is None
    assert shown["forecast"]["threshold_date"] == row["threshold_date"]
    assert shown["forecast"]["topup_held"] == shown["topup_hold"] == row["topup_held"]
    assert f"held: {PAUSED}" in _cli(engine, tmp_path, "budgets", "show", "b1")


def test_a_crossing_in_the_last_days_before_the_end_says_why_no_top_up_comes(engine: Engine) -> None:
    today = NOW.astimezone(make_budget().zone).date()
    ends = today + timedelta(days=30)
    b = make_budget(replenish=AUTO, end=ends, guardrails=Guardrails(no_topup_days_before_end=14))
    _burning(engine, b, NOW, hours=10)

    one = _only(engine, NOW)

    assert one.hold is None, "nothing holds top-ups today: no banner"
    assert one.forecast.threshold_date == today + timedelta(days=21)
    assert (one.forecast.next_topup_date, one.topups) == (None, ())
    assert one.topup_held is not None and one.topup_held.code == "near_end"
    assert str(today + timedelta(days=21)) in one.topup_held.detail and str(ends) in one.topup_held.detail
