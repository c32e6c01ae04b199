"""The burn chart as SVG: date order, the last point at today's settled balance, the provisional
level, the forecast to its crossing day, and a time axis that still reads for one day of history.

Figures are read back from the markup (`data-day`, `data-value`, the `<title>`s); the sample
budget is dated from `PINNED_AT`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from support.clock import PINNED_AT

from connector.web.chart import burn_chart
from connector.web.memory import sample_dashboard
from connector.web.views import BudgetDetail, BurnPoint, Forecast

TODAY = PINNED_AT.date()


def _detail(**changes: object) -> BudgetDetail:
    detail = sample_dashboard(budgets=1, entries=2, today=TODAY).budget_page("b1")
    budget = replace(
        detail.budget, settled=Decimal("800"), provisional=Decimal("800"), threshold=Decimal("500")
    )
    burn = (BurnPoint(TODAY - timedelta(days=20), Decimal("1000")), BurnPoint(TODAY, Decimal("800")))
    values: dict[str, object] = {"budget": budget, "burn": burn, "topups": (), "forecast": Forecast()}
    return replace(detail, today=TODAY, **{**values, **changes})  # type: ignore[arg-type]


def _axis_days(svg: str) -> list[str]:
    return re.findall(r'<text class="axis" x="[\d.]+" y="232"[^>]*>(\d{4}-\d\d-\d\d)</text>', svg)


def test_points_come_in_date_order_and_end_at_the_settled_balance() -> None:
    svg = str(burn_chart(_detail()))
    points = re.findall(r'class="point" cx="([\d.]+)"[^>]*data-day="([\d-]+)" data-value="([-\d.]+)"', svg)
    days = [day for _, day, _ in points]
    assert days == sorted(days) and days[-1] == TODAY.isoformat()
    assert Decimal(points[-1][2]) == Decimal("800")
    xs = [float(x) for x, _, _ in points]
    assert xs == sorted(xs)


def test_one_day_of_history_spans_a_week_of_distinct_dates() -> None:
    svg = str(burn_chart(_detail(burn=(BurnPoint(TODAY, Decimal("800")),))))
    first, last = _axis_days(svg)
    assert first == (TODAY - timedelta(days=7)).isoformat() and last == TODAY.isoformat()
    assert "nan" not in svg and "inf" not in svg


def test_the_forecast_runs_from_today_to_the_crossing_day() -> None:
    crossing = TODAY + timedelta(days=16)
    forecast = Forecast(burn_per_day=Decimal("20"), threshold_date=crossing, zero_date=crossing)
    svg = str(burn_chart(_detail(forecast=forecast)))
    assert f"Forecast: below the threshold on {crossing.isoformat()}" in svg
    assert _axis_days(svg)[-1] == crossing.isoformat()
    line = re.search(r'<line class="forecast" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"', svg)
    today_point = re.findall(r'class="point" cx="([\d.]+)" cy="([\d.]+)"', svg)[-1]
    assert line is not None and (line[1], line[2]) == today_point
    threshold_y = re.search(r'<line class="threshold" x1="\d+" x2="\d+" y1="([\d.]+)"', svg)
    assert threshold_y is not None and float(line[4]) > float(threshold_y[1])


def test_no_forecast_line_without_a_burn() -> None:
    assert 'class="forecast"' not in str(burn_chart(_detail()))


def test_the_provisional_balance_is_its_own_level() -> None:
    detail = _detail()
    svg = str(burn_chart(replace(detail, budget=replace(detail.budget, provisional=Decimal("-120")))))
    assert 'class="provisional"' in svg and "Provisional EUR -120.00" in svg
    assert 'class="provisional"' not in str(burn_chart(detail))
