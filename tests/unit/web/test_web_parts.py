"""The web layer's small parts: periods, the burn chart, the statement CSV, passwords, the hash command.

The periods parsed below are inputs written as people write them, whatever the date; the sample
budgets and the statement line are dated from `PINNED_AT`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from support.clock import PINNED_AT
from typer.testing import CliRunner

from connector.cli.users import users_app
from connector.errors import UserInputError
from connector.web.chart import burn_chart
from connector.web.memory import sample_dashboard
from connector.web.periods import InvalidPeriod, parse_period
from connector.web.security import hash_password, verify_password
from connector.web.statement_csv import statement_csv
from connector.web.views import BurnPoint, Forecast, Statement, StatementLine, StatementPeriod

TODAY = PINNED_AT.date()


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29), "2028-02"),
        ("2026-q4", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("2026-11-03..2026-11-09", date(2026, 11, 3), date(2026, 11, 9), "2026-11-03..2026-11-09"),
    ],
)
def test_periods_as_people_write_them(text: str, start: date, end: date, label: str) -> None:
    assert parse_period(text) == StatementPeriod(start, end, label)


@pytest.mark.parametrize(
    "text",
    ["2026-13", "0000-01", "0000", "2026-Q5", "2026-02-30..2026-03-01", "2026-11-09..2026-11-03", "soon"],
)
def test_impossible_periods_say_how_to_write_one(text: str) -> None:
    with pytest.raises(InvalidPeriod, match="2026-Q4"):
        parse_period(text)


def test_the_chart_marks_points_threshold_and_topups() -> None:
    detail = sample_dashboard(budgets=1, today=TODAY).budget_page("b1")
    svg = str(burn_chart(detail))
    assert svg.count('class="point"') == len(detail.burn)
    assert "Top-up 2026/100" in svg and "Threshold EUR 500.00" in svg


def test_an_empty_history_draws_no_chart() -> None:
    detail = sample_dashboard(budgets=1, today=TODAY).budget_page("b1")
    assert "No balance history" in burn_chart(replace(detail, burn=()))


def test_a_flat_history_still_draws() -> None:
    detail = sample_dashboard(budgets=1, today=TODAY).budget_page("b1")
    budget = replace(detail.budget, settled=Decimal(0), provisional=Decimal(0), threshold=Decimal(0))
    flat = (BurnPoint(TODAY, Decimal(0)), BurnPoint(TODAY, Decimal(0)))
    svg = str(burn_chart(replace(detail, budget=budget, burn=flat, topups=(), forecast=Forecast())))
    assert "<polyline" in svg and "nan" not in svg and "inf" not in svg


def test_the_csv_lists_every_line_and_defuses_formulas() -> None:
    budget = sample_dashboard(budgets=3, today=TODAY).budget_page("b3").budget
    day = TODAY.replace(day=5)
    line = StatementLine(
        day=day,
        kind="subtraction",
        change=Decimal("-95.00"),
        person='=HYPERLINK("x")',
        work_type="Design",
        description="@SUM(A1)",
        rounded_seconds=3600,
        rate=Decimal("95"),
        amount=Decimal("-95.00"),
    )
    statement = Statement(
        budget, parse_period(f"{day:%Y-%m}"), Decimal("100.00"), (line,), (), Decimal("5.00")
    )
    rows = list(csv.reader(io.StringIO(statement_csv(statement))))
    assert rows[0][3] == "Café =Cijfers"
    data = next(r for r in rows if r and r[0] == day.isoformat())
    assert data[1] == "Time subtracted" and data[2] == "'@SUM(A1)" and data[4] == '\'=HYPERLINK("x")'
    assert data[5:8] == ["1:00", "-95.00", "5.00"]
    assert rows[2][:2] == ["opening balance", "100.00"] and rows[-1][:2] == ["closing balance", "5.00"]
    customer = list(csv.reader(io.StringIO(statement_csv(statement, for_customer=True))))
    assert "person" not in customer[4] and "HYPERLINK" not in statement_csv(statement, for_customer=True)


def test_passwords_verify_only_with_the_right_password() -> None:
    hashed = hash_password("a long enough password")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long enough password")
    assert not verify_password(hashed, "another password")
    assert not verify_password("not a hash", "a long enough password")


def test_hash_password_command_prints_a_usable_hash() -> None:
    result = CliRunner().invoke(users_app, ["hash-password", "--stdin"], input="a long enough password\n")
    assert result.exit_code == 0
    hashed = result.output.strip()
    assert verify_password(hashed, "a long enough password") and "a long enough password" not in result.output


def test_hash_password_command_refuses_a_short_password() -> None:
    result = CliRunner().invoke(users_app, ["hash-password", "--stdin"], input="short\n")
    assert isinstance(result.exception, UserInputError)
