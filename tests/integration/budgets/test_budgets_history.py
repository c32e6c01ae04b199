"""When a line counts, over a real database: statements, the balance history and the burn all date
a subtraction by the day its entry was worked (in the budget's time zone), and a late correction
of a closed month by the day it was made, naming the month.

The story: a budget opened on 5 January; on 10 March a first sync subtracts work of January,
February (one entry worked at 00:30 Brussels time on 1 February, still 31 January in UTC) and
March at once; then the January entry is undone (a correction of a closed month) and the March
one too (same month: it counts on its worked day).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from budgets_fixtures import NOW, add_company, auto_budget, put_entry
from sqlalchemy import Engine
from support.clock import PinnedClock

from connector.billing import forecast
from connector.budgets import BudgetsService
from connector.budgets.choices import Choice, Selection
from connector.budgets.forecasting import held_forecast, threshold_dates
from connector.budgets.history import balance_history, burn_rates, counted_lines, statement_data
from connector.budgets.reports import balance_rows, lines_of
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.web.views import StatementPeriod

MONTHS = {
    "2026-01": (date(2026, 1, 1), date(2026, 1, 31)),
    "2026-02": (date(2026, 2, 1), date(2026, 2, 28)),
    "2026-03": (date(2026, 3, 1), date(2026, 3, 31)),
}


@pytest.fixture
def service(engine: Engine) -> BudgetsService:
    clock = PinnedClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    service = BudgetsService(engine, clock=clock)
    add_company(engine, "c-acme", "Acme NV")
    service.create(auto_budget(), actor="test")
    clock.at = NOW
    put_entry(engine, "e-jan", day=date(2026, 1, 20))
    put_entry(engine, "e-feb", day=date(2026, 1, 31), started_at=datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    put_entry(engine, "e-feb2", day=date(2026, 2, 27), seconds=1800)
    put_entry(engine, "e-mar", day=date(2026, 3, 2), seconds=7200)
    service.apply_entries(["e-mar", "e-feb2", "e-jan", "e-feb"])
    return service


def _entries(service: BudgetsService, label: str) -> list[tuple[str | None, str]]:
    b = service.budget("b1")
    with service.engine.connect() as conn:
        data = statement_data(conn, b, *MONTHS[label])
    return [(line["time_entry_id"], line["kind"]) for line in data.lines if line["time_entry_id"]]


def test_a_first_sync_files_each_entry_in_the_month_it_was_worked(service: BudgetsService) -> None:
    assert _entries(service, "2026-01") == [("e-jan", "subtraction")]
    assert _entries(service, "2026-02") == [("e-feb", "subtraction"), ("e-feb2", "subtraction")]
    assert _entries(service, "2026-03") == [("e-mar", "subtraction")]


def test_a_late_correction_counts_when_made_and_names_the_month(service: BudgetsService) -> None:
    service.choose(Choice.UNDO, Selection(entry_ids=("e-jan", "e-mar"), budget_id="b1"), actor="anna")
    assert _entries(service, "2026-01") == [("e-jan", "subtraction")]
    with service.engine.connect() as conn:
        lines = counted_lines(conn, service.budget("b1"))
    reversals = {
        line["time_entry_id"]: (line["day"], line["corrects"]) for line in lines if line["kind"] == "reversal"
    }
    assert reversals == {"e-jan": (date(2026, 3, 10), "2026-01"), "e-mar": (date(2026, 3, 2), None)}
    assert _entries(service, "2026-03") == [
        ("e-mar", "subtraction"),
        ("e-mar", "reversal"),
        ("e-jan", "reversal"),
    ]


def test_the_history_is_in_date_order_and_agrees_with_every_statement(service: BudgetsService) -> None:
    b = service.budget("b1")
    today = NOW.date()
    with service.engine.connect() as conn:
        history = balance_history(conn, b, today=today)
        (row,) = balance_rows(conn, ["b1"])
        closings = {label: statement_data(conn, b, *span).closing for label, span in MONTHS.items()}
    days = [day for day, _ in history]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert history[-1] == (today, row.settled)
    for label, (_, end) in MONTHS.items():
        at_end = [measure for day, measure in history if day <= end][-1]
        assert closings[label] == at_end, label
    assert history[0] == (date(2026, 1, 1), 200000), "the opening credit counts from the budget start"


def test_the_statement_page_lists_lines_by_worked_day(service: BudgetsService) -> None:
    statement = BudgetsWebAdapter(service).statement("b1", StatementPeriod(*MONTHS["2026-02"], "2026-02"))
    assert [line.day for line in statement.lines] == [date(2026, 2, 1), date(2026, 2, 27)]
    assert all(line.corrects is None for line in statement.lines)


def test_the_burn_counts_worked_days_and_every_reader_gets_the_same_date(service: BudgetsService) -> None:
    b = service.budget("b1")
    with service.engine.connect() as conn:
        lines = lines_of(conn, b)
        burn = burn_rates(conn, [b], now=NOW)["b1"]
        (row,) = balance_rows(conn, ["b1"])
        held = held_forecast(conn, b, settled=row.settled, now=NOW)
        dates = threshold_dates(conn, [b], {"b1": row.settled}, now=NOW)
    whole = forecast(b, lines, today=NOW.date())
    assert burn == whole.burn_per_day
    # In the window (9 February to 10 March): e-feb2 (30 min) and e-mar (2 h) at EUR 90, not January's.
    assert burn * 30 == 22500
    assert held.forecast.threshold_date == whole.threshold_date == dates["b1"]
    assert whole.threshold_date is not None and whole.threshold_date > NOW.date() + timedelta(days=30)
    page = BudgetsWebAdapter(service)
    assert page.budget_page("b1").forecast.threshold_date == page.overview()[0].forecast_date


def test_late_corrections_count_in_the_burn_as_the_statement_counts_them(service: BudgetsService) -> None:
    service.choose(Choice.UNDO, Selection(entry_ids=("e-jan", "e-feb2"), budget_id="b1"), actor="anna")
    service.choose(Choice.SUBTRACT, Selection(entry_ids=("e-jan",), budget_id="b1"), actor="anna")
    b = service.budget("b1")
    with service.engine.connect() as conn:
        burn = burn_rates(conn, [b], now=NOW)["b1"]
        whole = forecast(b, lines_of(conn, b), today=NOW.date())
        march = statement_data(conn, b, *MONTHS["2026-03"])
    assert burn == whole.burn_per_day
    # In the window: e-mar (EUR 180); e-feb2's subtraction (27 February) and its undo (a correction
    # of February, counted on 10 March), which cancel; e-jan's undo and new subtraction (10 March).
    assert burn * 30 == 18000
    late = [(line["kind"], line["corrects"]) for line in march.lines if line["time_entry_id"] == "e-jan"]
    assert late == [("reversal", "2026-01"), ("subtraction", "2026-01")]
