"""Double-billing guard on a real database: a subtracted entry later invoiced in Teamleader is
flagged and keeps its subtraction until a person keeps or reverses it."""

from __future__ import annotations

import pytest
from budgets_fixtures import NOW, auto_budget, line_sum, put_entry
from sqlalchemy import Engine, select
from support.clock import PinnedClock

from connector.billing import ChoiceRefused
from connector.budgets import BudgetsService
from connector.budgets.flagged import FlagChoice, resolve_flagged
from connector.budgets.reports import entry_rows
from connector.storage.tables.budgets import ledger_line


def _flagged(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r.entry_id for r in entry_rows(conn, flagged=True)]


def test_invoiced_later_is_flagged_and_only_a_person_reverses_or_keeps_it(engine: Engine) -> None:
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    put_entry(engine, "e1")
    put_entry(engine, "e2")
    service.create(auto_budget(), actor="test")
    assert line_sum(engine, "b1", "subtraction") == -18000
    put_entry(engine, "e1", billing_type="invoice")
    put_entry(engine, "e2", billing_type="invoice")
    report = service.apply_entries(["e1", "e2"])
    assert [f[1] for f in report.flagged] == ["e1", "e2"]
    assert line_sum(engine, "b1") == 200000 - 18000
    assert sorted(_flagged(engine)) == ["e1", "e2"]

    reversed_ = resolve_flagged(engine, FlagChoice.REVERSE, ["e1"], actor="cli:ann", now=NOW)
    assert reversed_.changed == (("b1", "e1", "reversed"),)
    kept = resolve_flagged(engine, FlagChoice.KEEP, ["e2"], actor="cli:ann", now=NOW)
    assert kept.changed == (("b1", "e2", "flag_kept"),)
    assert line_sum(engine, "b1") == 200000 - 9000
    assert _flagged(engine) == []
    with engine.connect() as conn:
        kinds = [
            (k, a)
            for k, a in conn.execute(
                select(ledger_line.c.kind, ledger_line.c.actor).where(ledger_line.c.time_entry_id == "e1")
            )
        ]
    assert kinds == [("subtraction", "rule:billable@v1"), ("reversal", "cli:ann")]
    put_entry(engine, "e2", billing_type="invoice", description="edited")
    service.apply_entries(["e2"])
    assert _flagged(engine) == []


def test_an_entry_that_is_not_flagged_cannot_be_kept_or_reversed(engine: Engine) -> None:
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    put_entry(engine, "e1")
    service.create(auto_budget(), actor="test")
    with pytest.raises(ChoiceRefused, match="not flagged"):
        resolve_flagged(engine, FlagChoice.REVERSE, ["e1"], actor="cli:ann", now=NOW)
    assert line_sum(engine, "b1", "reversal") == 0


def test_an_entry_invoiced_in_teamleader_before_it_arrives_is_never_subtracted(engine: Engine) -> None:
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    put_entry(engine, "e1", billing_type="invoice")
    service.create(auto_budget(), actor="test")
    assert line_sum(engine, "b1", "subtraction") == 0
    with engine.connect() as conn:
        assert entry_rows(conn, budget_id="b1") == []
