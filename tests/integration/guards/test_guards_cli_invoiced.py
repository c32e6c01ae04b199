"""`prepaid entries list --state invoiced`, `prepaid subtract` on an invoiced entry and the
`topup_hold` of `prepaid budgets show`, as a user runs them (JSON, exit codes, one-line errors)."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from budgets_fixtures import NOW, make_budget, put_entry, put_topup
from sqlalchemy import Engine
from support.cli import json_output, run_cli
from support.clock import PinnedClock

from connector.billing import ReplenishMode, ReplenishSettings
from connector.budgets import BudgetsService


def _cli(engine: Engine, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(engine, tmp_path, *args, columns=250)


def test_invoiced_entries_and_the_top_up_hold_from_the_command_line(engine: Engine, tmp_path: Path) -> None:
    """The budget and its history stand at the budgets tests' `NOW`; what the commands show of them
    (the listing, the refusal, a hold after failures in a row) does not depend on the day they run."""
    replenish = ReplenishSettings(
        ReplenishMode.AUTO, fixed_amount=Decimal(1000), department_id="d1", tax_rate_id="t1"
    )
    put_entry(engine, "e1", day=date(2026, 3, 2))
    put_entry(engine, "e2", day=date(2026, 3, 3), billing_type="invoice", invoice_id="inv-42")
    BudgetsService(engine, clock=PinnedClock(NOW)).create(make_budget(replenish=replenish), actor="test")
    for n in range(3):
        put_topup(
            engine,
            f"t{n}",
            "failed",
            at=NOW - timedelta(days=3 - n),
            marker=f"PP-T{n}",
            attempts=5,
            last_error="Teamleader refused the draft: unknown department",
        )
    engine.dispose()

    every = json_output(_cli(engine, tmp_path, "entries", "list", "--budget", "b1", "--json"))
    assert [(r["entry"], r["state"]) for r in every] == [("e2", "invoiced"), ("e1", "pending")]
    invoiced = json_output(_cli(engine, tmp_path, "entries", "list", "--state", "invoiced", "--json"))
    assert invoiced == [
        {
            "budget": "b1",
            "entry": "e2",
            "state": "invoiced",
            "day": "2026-03-03",
            "person": "",
            "work_type": "",
            "description": "Fix login #support",
            "duration_seconds": 3600,
            "rounded_seconds": None,
            "rate": None,
            "amount": None,
            "rate_display": None,
            "amount_display": None,
            "needs_rate": False,
            "flags": [],
            "note": "invoiced in Teamleader (invoice inv-42)",
            "teamleader_billing_type": "invoice",
            "teamleader_invoice_id": "inv-42",
        }
    ]
    assert every[1]["teamleader_billing_type"] is None and every[1]["teamleader_invoice_id"] is None
    table = _cli(engine, tmp_path, "entries", "list", "--customer", "company:c-acme")
    assert table.returncode == 0 and "invoiced in Teamleader (invoice inv-42)" in table.stdout

    refused = _cli(engine, tmp_path, "subtract", "e2")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "time entry e2: invoiced in Teamleader (invoice inv-42)" in refused.stderr
    assert "cannot be subtracted" in refused.stderr
    bad = _cli(engine, tmp_path, "entries", "list", "--state", "billed")
    assert bad.returncode == 2 and "invoiced" in bad.stderr

    shown = json_output(_cli(engine, tmp_path, "budgets", "show", "b1", "--json"))
    hold = shown["topup_hold"]
    assert hold["code"] == "paused"
    assert hold["reason"] == "automatic top-ups are paused after repeated failures"
    assert "failed with: Teamleader refused the draft: unknown department" in hold["detail"]
    assert "`prepaid topups retry t2`" in hold["detail"]
    assert {"settled", "forecast", "replenish"} <= shown.keys()
    text = _cli(engine, tmp_path, "budgets", "show", "b1")
    assert text.returncode == 0 and "topup_hold" in text.stdout and "paused" in text.stdout
