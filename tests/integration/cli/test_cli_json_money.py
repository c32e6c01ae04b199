"""`--json` money as scripts read it: `{"amount": "1730.00", "currency": "EUR"}` (hours as
`{"amount": "12.50", "unit": "hours"}`), the text a person reads only beside it as `*_display`;
and `topups retry|cancel --json` print the top-up as `topups list --json` does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from budgets_fixtures import GLOBEX, NOW, add_company, auto_budget, eur, put_entry, put_topup
from sqlalchemy import Engine
from support.cli import json_output, run_cli
from support.clock import PinnedClock

from connector.billing import BudgetUnit, ValuationSettings
from connector.budgets import BudgetsService

EUR_SHAPE = {"amount", "currency"}


def _eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def _hours(amount: str) -> dict[str, str]:
    return {"amount": amount, "unit": "hours"}


@pytest.fixture
def budgets(engine: Engine) -> None:
    """b1 (Acme): EUR 2,000 opening, three hours subtracted at EUR 90, EUR 1,730 left.
    h1 (Globex): 40 hours, three hours subtracted, 37 left."""
    add_company(engine, "c-acme", "Acme")
    for n in range(3):
        put_entry(engine, f"e{n}", day=date(2026, 3, 2 + n), seconds=3600)
        put_entry(engine, f"g{n}", customer=GLOBEX, day=date(2026, 3, 2 + n), seconds=3600)
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    service.create(auto_budget(), actor="test")
    service.create(
        auto_budget(
            id="h1",
            customer=GLOBEX,
            name="Globex hours",
            unit=BudgetUnit.hours(eur("85")),
            valuation=ValuationSettings(),
            opening_balance=Decimal(40),
            threshold=Decimal(4),
        ),
        actor="test",
    )
    engine.dispose()


def _by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in rows}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_balances_are_amounts_with_their_currency_or_hours(
    engine: Engine, tmp_path: Path, budgets: None
) -> None:
    listed = _by_id(json_output(run_cli(engine, tmp_path, "budgets", "list", "--json")))
    money, hours = listed["b1"], listed["h1"]
    assert money["settled"] == _eur("1730.00") and money["settled_display"] == "EUR 1,730.00"
    assert money["threshold"] == _eur("500.00") and money["threshold_display"] == "EUR 500.00"
    assert money["settled_measure"] == 173000 and money["currency"] == "EUR"
    assert money["customer"] == "company:c-acme" and money["customer_name"] == "Acme"
    assert hours["settled"] == _hours("37.00") and hours["settled_display"] == "37.00 h"
    assert hours["provisional"] == _hours("37.00") and hours["settled_measure"] == 37 * 3600
    assert Decimal(money["settled"]["amount"]) * 100 == money["settled_measure"]

    shown = json_output(run_cli(engine, tmp_path, "budgets", "show", "b1", "--json"))
    assert shown["settled"] == money["settled"] and shown["provisional_display"] == "EUR 1,730.00"
    burn = shown["forecast"]["burn_per_day"]
    assert burn is None or set(burn) == EUR_SHAPE

    forecast = _by_id(json_output(run_cli(engine, tmp_path, "forecast", "--json"))["budgets"])
    assert forecast["b1"]["settled"] == money["settled"] and forecast["h1"]["threshold"] == _hours("4.00")

    ledger = json_output(run_cli(engine, tmp_path, "ledger", "b1", "--json"))
    assert [line["change"] for line in ledger] == [_eur("2000.00")] + [_eur("-90.00")] * 3
    assert ledger[-1]["balance"] == money["settled"] and ledger[-1]["balance_display"] == "EUR 1,730.00"
    hour_lines = json_output(run_cli(engine, tmp_path, "ledger", "h1", "--json"))
    assert [line["change"] for line in hour_lines] == [
        _hours("40.00"),
        _hours("-1.00"),
        _hours("-1.00"),
        _hours("-1.00"),
    ]

    entries = json_output(run_cli(engine, tmp_path, "entries", "list", "--budget", "b1", "--json"))
    assert {(row["entry"], row["amount"]["amount"], row["amount_display"]) for row in entries} == {
        (f"e{n}", "90.00", "EUR 90.00") for n in range(3)
    }
    assert all(row["rate"] == _eur("90.00") for row in entries)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_retry_and_cancel_print_the_top_up_as_json(engine: Engine, tmp_path: Path, budgets: None) -> None:
    put_topup(engine, "t-failed", "failed", currency="EUR", amount_cents=123_456, last_error="refused")
    put_topup(engine, "t-planned", "planned", budget_id="h1", currency="EUR")
    engine.dispose()
    [listed] = json_output(run_cli(engine, tmp_path, "topups", "list", "--status", "failed", "--json"))
    assert listed["amount"] == _eur("1234.56") and listed["amount_display"] == "EUR 1,234.56"
    assert listed["amount_cents"] == 123_456

    retried = json_output(run_cli(engine, tmp_path, "topups", "retry", "t-failed", "--json"))
    assert (retried["id"], retried["amount"]) == ("t-failed", listed["amount"])
    assert retried["status"] != "failed" and retried.keys() == listed.keys()

    cancelled = json_output(run_cli(engine, tmp_path, "topups", "cancel", "t-planned", "--json"))
    assert (cancelled["id"], cancelled["status"], cancelled["amount"]) == (
        "t-planned",
        "cancelled",
        _eur("1000.00"),
    )
    refused = run_cli(engine, tmp_path, "topups", "retry", "t-planned", "--json")
    assert refused.returncode == 2 and refused.stdout == "" and "cannot be retried" in refused.stderr
