"""Property tests of renewing budgets over a real SQLite database: across any sequence of entries,
edits, deletions, undos, closes and rollovers, nothing appears or disappears at a boundary and the
sum of the periods' lines equals the running balance."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from periods_fixtures import after, lines, local, put_entry, renewing
from sqlalchemy import Engine, update
from support.clock import PinnedClock

from connector.billing import Budget, ChoiceRefused, DeficitPolicy, RolloverPolicy, nth_period
from connector.budgets import BudgetsService, Choice, Selection
from connector.budgets.errors import EntriesNotFound
from connector.budgets.periods import PeriodCloser, index_at
from connector.storage import create_db_engine
from connector.storage.tables.invoicing import topup

POLICIES = st.sampled_from(
    [
        {"rollover": RolloverPolicy.ALL},
        {"rollover": RolloverPolicy.NONE},
        {"rollover": RolloverPolicy.CAPPED, "rollover_cap": Decimal("150")},
        {"rollover": RolloverPolicy.CAPPED, "rollover_cap_share": Decimal("0.5")},
    ]
)
DEFICITS = st.sampled_from(
    [
        {"deficit": DeficitPolicy.CARRY},
        {"deficit": DeficitPolicy.OVERAGE},
        {"deficit": DeficitPolicy.WRITEOFF, "writeoff_approved_by": "Mia"},
    ]
)
ENTRIES = [f"e{i}" for i in range(4)]
steps = st.one_of(
    st.tuples(st.just("work"), st.sampled_from(ENTRIES), st.integers(0, 40), st.integers(1, 12)),
    st.tuples(st.just("delete"), st.sampled_from(ENTRIES)),
    st.tuples(st.just("undo"), st.sampled_from(ENTRIES)),
    st.tuples(st.just("close"), st.integers(1, 2)),
)


def _measure(row: dict[str, Any]) -> int:
    return int(row["amount_cents"])


def _check(engine: Engine, b: Budget) -> None:
    rows = lines(engine)
    total = sum(_measure(r) for r in rows)
    per_period: dict[int, int] = {}
    for r in rows:
        index = r["period_index"] if r["period_index"] is not None else index_at(b, r["at"])
        per_period[index] = per_period.get(index, 0) + _measure(r)
        assert r["reason"], f"line {r['source_key']} does not say why"
    assert sum(per_period.values()) == total
    for close in (r for r in rows if r["kind"] == "period_close"):
        index = close["period_index"]
        through = sum(v for i, v in per_period.items() if i <= index)
        assert f"EUR {Decimal(through) / 100:,.2f}" == close["details"]["carried"], "a boundary moved value"
        assert nth_period(b, index + 1).index in per_period


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(POLICIES, DEFICITS, st.lists(steps, min_size=1, max_size=12))
def test_boundaries_keep_every_amount(
    _sqlite_template: Path, rollover: dict[str, Any], deficit: dict[str, Any], history: list[tuple[Any, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prepaid.db"
        shutil.copy(_sqlite_template, path)
        engine = create_db_engine(f"sqlite:///{path}")
        try:
            b = renewing(**rollover, **deficit)
            clock = PinnedClock(after(date(2026, 1, 1)))
            service = BudgetsService(engine, clock=clock)
            service.create(b, actor="test")
            closer = PeriodCloser(engine, clock=clock)
            closer.close_due()
            month = 1
            for step in history:
                if step[0] == "work":
                    _, entry_id, days_back, quarters = step
                    day = max(date(2026, 1, 1), clock.at.date() - timedelta(days=days_back))
                    put_entry(engine, entry_id, local(day, 10), seconds=quarters * 900)
                    service.apply_entries([entry_id])
                elif step[0] == "delete":
                    put_entry(engine, step[1], clock.at, deleted_at=clock.at)
                    service.apply_entries([step[1]])
                elif step[0] == "undo":
                    with contextlib.suppress(EntriesNotFound, ChoiceRefused):
                        service.choose(Choice.UNDO, Selection(entry_ids=(step[1],)), actor="test")
                else:
                    month += step[1]
                    clock.at = after(date(2026 + (month - 1) // 12, (month - 1) % 12 + 1, 1))
                    closer.close_due()
                    with engine.begin() as conn:
                        conn.execute(update(topup).values(status="credited"))
                clock.advance(minutes=5)
                _check(engine, b)
        finally:
            engine.dispose()
