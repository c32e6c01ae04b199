"""`prepaid entries list --flagged|keep|reverse`, `prepaid forecast` and `prepaid budgets what-if`
as a user runs them: JSON output, exit code 2 and one line for bad input, nothing written by what-if."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from budgets_fixtures import auto_budget, put_entry
from sqlalchemy import Engine, make_url
from support.cli import json_output, run_cli
from support.clock import PinnedClock, process_now

from connector.billing import ReplenishMode, ReplenishSettings
from connector.budgets import BudgetsService

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _proposal(start: date) -> str:
    """A budgets file for b1 as it is, from `start`, at EUR 120 an hour instead of 90."""
    return f"""
[[budget]]
id = "b1"
name = "Acme support 2026"
customer = {{ type = "company", id = "c-acme" }}
start = {start.isoformat()}
mode = "auto"
threshold = 500
opening_balance = 2000
[budget.valuation]
default_rate = 120
rounding_minutes = 15
[[budget.rules]]
id = "billable"
invoiceable = true
"""


def _digest(engine: Engine) -> str:
    database = make_url(str(engine.url)).database
    assert database is not None
    return hashlib.sha256(Path(database).read_bytes()).hexdigest()


def test_flags_forecast_and_what_if_from_the_command_line(engine: Engine, tmp_path: Path) -> None:
    """`prepaid` runs in its own process on the machine's clock, and the forecast counts the burn
    of the days before its "now": so the test stands at that clock's instant too, read once, and
    dates the budget and its entries from it."""
    clock = PinnedClock(process_now())
    today = clock.at.astimezone(auto_budget().zone).date()
    start = today - timedelta(days=30)
    for n in range(6):
        put_entry(engine, f"e{n}", day=today - timedelta(days=n), seconds=7200)
    replenish = ReplenishSettings(
        ReplenishMode.AUTO, fixed_amount=Decimal(1000), department_id="d1", tax_rate_id="t1"
    )
    service = BudgetsService(engine, clock=clock)
    service.create(auto_budget(start=start, replenish=replenish), actor="test")
    for n in (0, 1):
        put_entry(engine, f"e{n}", day=today - timedelta(days=n), seconds=7200, billing_type="invoice")
    service.apply_entries(["e0", "e1"])
    engine.dispose()

    flagged = json_output(run_cli(engine, tmp_path, "entries", "list", "--flagged", "--json"))
    assert sorted(row["entry"] for row in flagged) == ["e0", "e1"]
    assert (
        json_output(run_cli(engine, tmp_path, "entries", "keep", "e0", "--json"))["changed"][0]["outcome"]
        == "flag_kept"
    )
    reversed_ = json_output(run_cli(engine, tmp_path, "entries", "reverse", "e1", "--json"))
    assert reversed_["changed"] == [{"budget": "b1", "entry": "e1", "outcome": "reversed"}]
    refused = run_cli(engine, tmp_path, "entries", "reverse", "e2")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "not flagged" in refused.stderr

    forecast = json_output(run_cli(engine, tmp_path, "forecast", "--json"))
    [row] = forecast["budgets"]
    assert row["id"] == "b1" and row["burn_per_day"] == {"amount": "30.00", "currency": "EUR"}
    assert row["burn_per_day_display"] == "EUR 30.00"
    assert row["next_topup_amount"] == {"amount": "1000.00", "currency": "EUR"} and row["next_topup_date"]
    assert forecast["cash_in"][0]["topups"][0] == {
        "budget": "b1",
        "amount": {"amount": "1000.00", "currency": "EUR"},
        "amount_display": "EUR 1,000.00",
    }

    engine.dispose()
    before = _digest(engine)
    proposal = tmp_path / "new.toml"
    proposal.write_text(_proposal(start), encoding="utf-8")
    what_if = json_output(
        run_cli(engine, tmp_path, "budgets", "what-if", "b1", "--file", str(proposal), "--json")
    )
    assert (what_if["current"]["subtracted_entries"], what_if["proposed"]["subtracted_entries"]) == (5, 5)
    assert what_if["current"]["subtracted"] == {"amount": "900.00", "currency": "EUR"}
    assert what_if["proposed"]["subtracted_display"] == "EUR 1,200.00"
    assert what_if["balance_difference"] == {"amount": "-300.00", "currency": "EUR"}
    assert what_if["balance_difference_display"] == "EUR -300.00"
    assert _digest(engine) == before
    bad = run_cli(engine, tmp_path, "budgets", "what-if", "b1", "--file", str(proposal), "--since", "soon")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
