"""What-if on a real SQLite file: the difference a new rate, rule or threshold would have made,
and a database left byte-for-byte as it was."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from budgets_fixtures import NOW, auto_budget, put_entry
from sqlalchemy import Engine, make_url
from support.clock import PinnedClock

from connector.billing import ReplenishMode, ReplenishSettings
from connector.budgets import BudgetsService
from connector.budgets.whatif import WhatIfError, load_proposal, what_if

PROPOSAL = """
[[budget]]
id = "b1"
name = "Acme support 2026"
customer = {{ type = "company", id = "c-acme" }}
start = 2026-01-01
mode = "auto"
threshold = {threshold}
opening_balance = 2000
[budget.valuation]
default_rate = {rate}
rounding_minutes = 15
[[budget.rules]]
id = "billable"
invoiceable = true
{words}
[budget.replenish]
mode = "auto"
fixed_amount = 1000
department_id = "d1"
tax_rate_id = "t1"
"""


def _file(tmp_path: Path, *, rate: str = "90", threshold: str = "500", words: str = "") -> Path:
    path = tmp_path / "new.toml"
    path.write_text(PROPOSAL.format(rate=rate, threshold=threshold, words=words), encoding="utf-8")
    return path


def _digest(engine: Engine) -> str:
    database = make_url(str(engine.url)).database
    assert database is not None
    return hashlib.sha256(Path(database).read_bytes()).hexdigest()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_higher_rate_subtracts_more_creates_topups_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    replenish = ReplenishSettings(ReplenishMode.AUTO, fixed_amount=1000, department_id="d1", tax_rate_id="t1")
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    for day in range(10):
        put_entry(engine, f"e{day}", day=date(2026, 2, 1) + timedelta(days=day), seconds=3600)
    service.create(auto_budget(replenish=replenish), actor="test")
    engine.dispose()
    before = _digest(engine)
    with engine.connect() as conn:
        current = service.budget("b1", conn)
        proposal = load_proposal(_file(tmp_path, rate="300"), "b1", current)
        result = what_if(conn, "b1", proposal, now=NOW)
    engine.dispose()
    assert _digest(engine) == before
    assert (result.current.subtracted, result.proposed.subtracted) == (10, 10)
    assert (result.current.subtracted_measure, result.proposed.subtracted_measure) == (90000, 300000)
    assert (result.settled, result.proposed_settled) == (110000, -100000)
    assert [t.blocked for t in result.current.topups] == []
    assert [(t.day, t.measure) for t in result.proposed.topups if t.blocked is None] == [
        (date(2026, 2, 6), 100000),
        (date(2026, 2, 9), 100000),
    ]
    assert len(result.changed) == 10


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_narrower_rule_since_a_day_leaves_older_entries_as_they_are(engine: Engine, tmp_path: Path) -> None:
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    for day in range(4):
        put_entry(engine, f"e{day}", day=date(2026, 2, 1) + timedelta(days=day), description="plain work")
    service.create(auto_budget(), actor="test")
    with engine.connect() as conn:
        current = service.budget("b1", conn)
        proposal = load_proposal(_file(tmp_path, words='words = ["urgent"]'), "b1", current)
        result = what_if(conn, "b1", proposal, since=date(2026, 2, 3), now=NOW)
    assert [str(rule.provenance) for rule in proposal.rules] == ["billable@v2"]
    assert result.replayed == 2
    assert [(e, before, after) for e, before, _, after, _ in result.changed] == [
        ("e2", "subtracted", "pending"),
        ("e3", "subtracted", "pending"),
    ]
    assert result.proposed_settled - result.settled == 18000


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_file_without_the_budget_is_refused_with_the_ids_it_has(engine: Engine, tmp_path: Path) -> None:
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    service.create(auto_budget(id="other"), actor="test")
    with pytest.raises(WhatIfError, match=r"has no budget with id 'other'.*b1"):
        load_proposal(_file(tmp_path), "other", service.budget("other"))
