"""A ledger line in words (connector.web.ledger_words): kinds, rounding, rates, who made it, and
the statement's rows with their running balance, in the agency's copy and in the customer's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connector.web.formatting import when
from connector.web.ledger_words import (
    actor_words,
    described_ledger,
    ledger_words,
    rounding_words,
    statement_rows,
)
from connector.web.views import (
    BudgetRow,
    LedgerLineView,
    Statement,
    StatementLine,
    StatementPeriod,
    TopupView,
    Unit,
)

BUDGET = BudgetRow(
    id="b1",
    customer_name="Acme",
    name="Support",
    unit=Unit.MONEY,
    currency="EUR",
    settled=Decimal("955.00"),
    provisional=Decimal("900.00"),
    threshold=Decimal("100"),
    share_used=Decimal("0.1"),
    hours=None,
    time_zone="Europe/Brussels",
    rounding_seconds=900,
    minimum_seconds=600,
)
AT = datetime(2026, 11, 30, 13, 5, tzinfo=UTC)


def _line(kind: str, change: str, **values: object) -> LedgerLineView:
    base = LedgerLineView(
        id="1", at=AT, kind=kind, change=Decimal(change), amount=Decimal(change), actor="demo", description=""
    )
    return replace(base, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("duration", "rounded", "words"),
    [
        (1800, 1800, "30 min"),
        (1200, 1800, "20 min, rounded up to the quarter hour (30 min)"),
        (300, 600, "5 min, counted as the 10 min minimum"),
        (4500, 4500, "1 h 15 min"),
        (None, None, ""),
    ],
)
def test_rounding_is_explained_in_words(duration: int | None, rounded: int | None, words: str) -> None:
    assert rounding_words(duration, rounded, BUDGET) == words


def test_a_subtraction_says_how_it_was_valued_and_the_rate_it_used() -> None:
    line = _line(
        "subtraction",
        "-45.00",
        duration_seconds=1200,
        rounded_seconds=1800,
        rate=Decimal("90"),
        rate_source="budget_default",
        description="1200s rounded to 1800s (0.50 h) x EUR 90.00 (budget_default) = EUR 45.00",
    )
    words = ledger_words(line, BUDGET)
    assert words.title == "Time subtracted"
    assert (
        words.detail
        == "20 min, rounded up to the quarter hour (30 min) at EUR 90.00 an hour (the budget's rate)"
    )


@pytest.mark.parametrize(
    ("kind", "values", "title"),
    [
        ("opening", {}, "Opening credit"),
        ("topup_credit", {"invoice_number": "2026 / 45"}, "Top-up invoice 2026 / 45"),
        ("topup_credit", {}, "Top-up credited"),
        (
            "credit_reversal",
            {"invoice_number": "2026 / 45"},
            "Top-up of invoice 2026 / 45 cancelled by a credit note",
        ),
        ("adjustment", {}, "Correction: entry edited in Teamleader"),
        ("reversal", {"description": "undone by web:anna"}, "Subtraction undone"),
        ("reversal", {"description": "deleted in Teamleader"}, "Correction: entry deleted in Teamleader"),
        ("period_grant", {"description": "allowance for 2026-12-01 to 2027-01-01"}, "Period renewal"),
        ("expiry", {}, "Unused allowance expired"),
    ],
)
def test_every_kind_reads_in_words(kind: str, values: dict[str, object], title: str) -> None:
    assert ledger_words(_line(kind, "1", **values), BUDGET).title == title


def test_an_adjustment_names_what_changed_and_a_late_one_the_month_it_corrects() -> None:
    line = _line(
        "adjustment",
        "-22.50",
        description="changed in Teamleader: duration_seconds; amount (entry of 2026-10, a closed period)",
        details={
            "old_duration_seconds": 3600,
            "new_duration_seconds": 5400,
            "old_amount": "90",
            "new_amount": "135",
        },
    )
    assert ledger_words(line, BUDGET).detail == "duration 1 h → 1 h 30 min; corrects 2026-10, a closed period"


@pytest.mark.parametrize(
    ("kind", "reason", "detail"),
    [
        ("period_grant", "allowance for 2026-12-01 to 2027-01-01", "Allowance for 2026-12-01 to 2026-12-31"),
        (
            "expiry",
            "surplus of 2026-11-01 to 2026-12-01 expires (rollover: capped)",
            "Surplus of 2026-11-01 to 2026-11-30 expires (rollover capped)",
        ),
    ],
)
def test_a_period_line_names_its_last_day(kind: str, reason: str, detail: str) -> None:
    assert ledger_words(_line(kind, "1", description=reason), BUDGET).detail == detail


@pytest.mark.parametrize(
    ("actor", "words"),
    [
        ("rule:invoiceable-time@v1", "automatic rule “invoiceable-time” (version 1)"),
        ("web:anna", "anna"),
        ("api:token", "the API"),
        ("invoicing", "top-up invoicing"),
    ],
)
def test_who_made_a_line_reads_as_a_colleague_says_it(actor: str, words: str) -> None:
    assert actor_words(actor) == words


def test_the_ledger_runs_its_balance_down_the_when_column_newest_first() -> None:
    grant = _line("period_grant", "500", at=datetime(2026, 10, 31, 23, tzinfo=UTC))
    rows = described_ledger([_line("opening", "1000"), _line("subtraction", "-45"), grant], BUDGET)
    assert [(r.words.title, r.balance) for r in rows] == [
        ("Time subtracted", Decimal("1455")),
        ("Opening credit", Decimal("1500")),
        ("Period renewal", Decimal("500")),
    ]


def test_a_moment_is_shown_in_the_budgets_zone() -> None:
    assert when(AT, "Europe/Brussels") == "2026-11-30 14:05 CET"
    assert when(AT) == "2026-11-30 13:05 UTC"


def _statement(budget: BudgetRow) -> Statement:
    line = StatementLine(
        day=date(2026, 11, 3),
        kind="subtraction",
        change=Decimal("-45.00"),
        person="Ann Peeters",
        work_type="Design",
        description="Logo",
        rounded_seconds=1800,
        rate=Decimal("90"),
        amount=Decimal("-45.00"),
        duration_seconds=1200,
        rate_source="user",
    )
    topup = TopupView(
        "t1",
        "credited",
        Decimal("500"),
        datetime(2026, 11, 2, 9, tzinfo=UTC),
        "2026 / 45",
        datetime(2026, 11, 2, 9, tzinfo=UTC),
    )
    period = StatementPeriod(date(2026, 11, 1), date(2026, 11, 30), "2026-11")
    return Statement(budget, period, Decimal("100"), (line,), (topup,), Decimal("555"))


def test_statement_rows_merge_top_ups_by_date_with_a_running_balance() -> None:
    rows = statement_rows(_statement(BUDGET), for_customer=False)
    assert [(r.title, r.balance) for r in rows] == [
        ("Top-up invoice 2026 / 45", Decimal("600")),
        ("Time subtracted", Decimal("555")),
    ]
    assert rows[1].person == "Ann Peeters" and "(the person's rate)" in rows[1].how


def test_the_customers_copy_names_no_people_and_no_rate_sources_unless_the_budget_says_so() -> None:
    hidden = statement_rows(_statement(BUDGET), for_customer=True)[1]
    assert hidden.person == "" and "rate)" not in hidden.how
    shown = statement_rows(_statement(replace(BUDGET, statement_names=True)), for_customer=True)[1]
    assert shown.person == "Ann Peeters"
