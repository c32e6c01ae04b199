"""A batch decided from a snapshot that a person's choice overtook is decided again, not forced.

The apply reads a batch without a lock and writes it later by compare-and-swap; here a person
subtracts one of its entries in between, as the dashboard may at any moment.
"""

from __future__ import annotations

from typing import Any

import pytest
from budgets_fixtures import NOW, make_budget, put_entry
from sqlalchemy import Engine, select
from support.clock import PinnedClock

from connector.budgets import BudgetsService, Choice, Selection
from connector.budgets.applying import EntryApplier
from connector.budgets.reports import balance_rows
from connector.storage.tables.budgets import entry_allocation, ledger_line

IDS = [f"e{n}" for n in range(1, 6)]


def test_a_choice_made_while_a_batch_was_deciding_wins_and_counts_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    service.create(make_budget(), actor="test")
    for entry_id in IDS:
        put_entry(engine, entry_id, seconds=3600)
    service.apply_entries(IDS)
    for entry_id in IDS:
        put_entry(engine, entry_id, seconds=7200)  # edited in Teamleader: a new revision each

    decide = EntryApplier._decide
    calls: list[int] = []

    def person_chooses_meanwhile(self: EntryApplier, *args: Any, **kwargs: Any) -> Any:
        if not calls:
            service.choose(Choice.SUBTRACT, Selection(entry_ids=("e3",)), actor="ann")
        calls.append(1)
        return decide(self, *args, **kwargs)

    monkeypatch.setattr(EntryApplier, "_decide", person_chooses_meanwhile)
    report = service.apply_entries(IDS)

    assert len(calls) > 1, "the overtaken batch was decided again"
    assert report.conflicts == []
    with engine.connect() as conn:
        states = dict(conn.execute(select(entry_allocation.c.time_entry_id, entry_allocation.c.state)).all())
        lines = conn.execute(
            select(ledger_line.c.time_entry_id, ledger_line.c.amount_cents).where(
                ledger_line.c.kind != "opening"
            )
        ).all()
        row = balance_rows(conn)[0]
    assert states == {"e1": "pending", "e2": "pending", "e3": "subtracted", "e4": "pending", "e5": "pending"}
    assert lines == [("e3", -18_000)]  # 2 h at EUR 90, once
    assert row.settled == 200_000 - 18_000
    assert row.provisional == 200_000 - 5 * 18_000
