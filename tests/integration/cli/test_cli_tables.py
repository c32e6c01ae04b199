"""Tables as a user reads them at 80 and 120 columns: every id whole (so it can be copied into the
next command), nothing cut short with an ellipsis, customers by their synced name."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
from budgets_fixtures import NOW, add_company, auto_budget, put_entry, put_topup
from sqlalchemy import Engine
from support.cli import run_cli
from support.clock import PinnedClock

from connector.billing import CustomerRef, CustomerType
from connector.budgets import BudgetsService

LONG_BUDGET = "acme-corporation-support-retainer-2026-q1"
"""A budget id longer than a quarter of an 80-column terminal."""


@pytest.fixture
def history(engine: Engine) -> dict[str, list[str]]:
    """Two budgets (one for a company that was never synced), entries and a top-up with
    Teamleader-like UUIDs; the ids each listing must show whole."""
    add_company(engine, "c-acme", "Acme Corporation International")
    entries = [str(uuid.UUID(int=n + 0xA2B2_4900_0000_0000_0000_0000_0000_0000)) for n in range(3)]
    for n, entry_id in enumerate(entries):
        put_entry(engine, entry_id, day=date(2026, 3, 2 + n), description=f"Long description of task {n}")
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    service.create(auto_budget(id=LONG_BUDGET), actor="test")
    unknown = CustomerRef(CustomerType.COMPANY, "c-never-synced")
    service.create(auto_budget(id="b1", customer=unknown, name="Unknown customer"), actor="test")
    topup_id = str(uuid.UUID(int=0xC0FFEE))
    put_topup(engine, topup_id, "failed", currency="EUR", last_error="Teamleader refused the draft")
    engine.dispose()
    return {"budgets": [LONG_BUDGET, "b1"], "entries": entries, "topups": [topup_id]}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("columns", [80, 120])
def test_listings_show_every_id_whole_at_any_width(
    engine: Engine, tmp_path: Path, history: dict[str, list[str]], columns: int
) -> None:
    listings = {
        ("budgets", "list"): history["budgets"],
        ("entries", "list"): history["entries"] + [LONG_BUDGET],
        ("topups", "list"): history["topups"] + ["b1"],
        ("forecast",): history["budgets"],
        ("ledger", LONG_BUDGET): history["entries"],
    }
    for args, ids in listings.items():
        shown = run_cli(engine, tmp_path, *args, columns=columns)
        assert shown.returncode == 0, shown.stderr
        lines = shown.stdout.splitlines()
        assert max(len(line.rstrip()) for line in lines) <= columns, (args, shown.stdout)
        for identifier in ids:
            assert identifier in shown.stdout, (args, columns, identifier, shown.stdout)
        assert "…" not in shown.stdout, (args, shown.stdout)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_budgets_name_their_customer_and_fall_back_to_the_id(
    engine: Engine, tmp_path: Path, history: dict[str, list[str]]
) -> None:
    table = run_cli(engine, tmp_path, "budgets", "list", columns=200)
    assert table.returncode == 0, table.stderr
    assert "Acme Corporation International" in table.stdout and "company:c-acme" not in table.stdout
    assert "company:c-never-synced" in table.stdout
    wrapped = run_cli(engine, tmp_path, "budgets", "list", columns=80)
    assert all(word in wrapped.stdout for word in ("Acme", "Corporation", "International"))
