"""What people see of periods: the statement of a period, the dashboard's period figures, the
command line, and a budgets file that moves a customer over from Teamleader's prepaid."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from periods_fixtures import BRUSSELS, after, kinds, lines, local, put_entry, renewing
from sqlalchemy import Engine
from support.clock import PinnedClock, process_today

from connector.billing import RolloverPolicy
from connector.budgets import BudgetsService
from connector.budgets.files import apply_file
from connector.budgets.periods import PeriodCloser, period_figures
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.web.periods import parse_period

FEB = date(2026, 2, 1)


def _closed_january(engine: Engine) -> tuple[BudgetsService, PinnedClock]:
    clock = PinnedClock(after(date(2026, 1, 1)))
    service = BudgetsService(engine, clock=clock)
    service.create(renewing(rollover=RolloverPolicy.CAPPED, rollover_cap=Decimal("500")), actor="t")
    PeriodCloser(engine, clock=clock).close_due()
    put_entry(engine, "e1", local(date(2026, 1, 31), 23, 30), seconds=3 * 3600)
    service.apply_entries(["e1"])
    clock.at = after(FEB)
    PeriodCloser(engine, clock=clock).close_due()
    return service, clock


def test_statement_of_a_period_has_its_close_and_expiry_and_balances(engine: Engine) -> None:
    service, _ = _closed_january(engine)
    january = BudgetsWebAdapter(service).statement("b1", parse_period("2026-01"))
    assert [line.kind for line in january.lines] == ["period_grant", "subtraction", "period_close", "expiry"]
    assert january.opening == 0 and january.closing == Decimal("500")
    assert "500.00 carried" in january.lines[2].description
    february = BudgetsWebAdapter(service).statement("b1", parse_period("2026-02"))
    assert february.opening == Decimal("500")
    assert [line.kind for line in february.lines] == ["period_grant"]
    assert february.closing == Decimal("1500")


def test_dashboard_figures_show_use_days_left_and_what_would_expire(engine: Engine) -> None:
    service, clock = _closed_january(engine)
    put_entry(engine, "e2", local(date(2026, 2, 10)), seconds=6 * 3600)
    service.apply_entries(["e2"])
    clock.at = local(date(2026, 2, 20), 12)
    b = service.budget("b1")
    with engine.connect() as conn:
        figures = period_figures(conn, b, clock.at)
    assert figures is not None
    assert (figures.label, figures.days_left) == ("2026-02", 9)
    assert figures.balance == 90000 and figures.share_used == Decimal("0.4")
    assert (figures.carried, figures.expires) == (50000, 40000)


def test_prepaid_periods_close_on_the_command_line(engine: Engine, tmp_path: Path) -> None:
    """`prepaid` runs in its own process on the machine's clock and closes what has ended by then:
    the budget starts ten months before the month that clock shows, so ten periods are due."""
    today = process_today(BRUSSELS)
    months = today.year * 12 + today.month - 1 - 10
    start = date(months // 12, months % 12 + 1, 1)
    b = renewing()
    b = replace(b, start=start, periods=replace(b.periods, anchor=start))
    BudgetsService(engine, clock=PinnedClock(after(start))).create(b, actor="t")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    env = {**clean, "PREPAID_DATABASE_URL": str(engine.url.render_as_string(hide_password=False))}
    env.update(PREPAID_DATA_DIR=str(tmp_path), PREPAID_LOG_FORMAT="json", PYTHONWARNINGS="ignore")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "connector", "periods", "close", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)

    first = run("--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["opened"] == [{"budget_id": "b1", "period": f"{start:%Y-%m}"}]
    assert len(report["closed"]) == 10
    again = json.loads(run("--json", "--budget", "b1").stdout)
    assert again == {"opened": [], "closed": [], "blocked": []}
    unknown = run("--budget", "nope")
    assert unknown.returncode == 2 and "nope" in unknown.stderr
    assert kinds(engine).count("period_close") == len(report["closed"])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_budgets_file_moves_a_customer_over_from_teamleader_prepaid(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "budgets.toml"
    path.write_text(
        '[[budget]]\nid = "moved"\nname = "Acme moved over"\n'
        'customer = { type = "company", id = "c-acme" }\nstart = 2026-01-01\nmigrated_on = 2026-03-01\n'
        'opening_balance = 750\nmode = "auto"\n[budget.valuation]\ndefault_rate = 100\n'
        '[[budget.rules]]\nid = "all"\n',
        encoding="utf-8",
    )
    put_entry(engine, "before", local(date(2026, 2, 20)))
    put_entry(engine, "settled", local(date(2026, 3, 5)), billing_type="prepaid")
    put_entry(engine, "after", local(date(2026, 3, 5)))
    service = BudgetsService(engine, clock=PinnedClock(local(date(2026, 3, 10), 12)))
    apply_file(service, path, actor="t")
    rows = lines(engine, "moved")
    assert [(r["kind"], r["time_entry_id"], r["amount_cents"]) for r in rows] == [
        ("opening", None, 75000),
        ("subtraction", "after", -10000),
    ]
