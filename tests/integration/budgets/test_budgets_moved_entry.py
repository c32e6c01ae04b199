"""A subtracted entry whose customer changes moves budgets: a reversal in the old, the new budget's
own rules in the new, exactly once however often it is applied (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from budgets_fixtures import ACME, GLOBEX, NOW, auto_budget, line_sum, make_budget, put_entry
from sqlalchemy import Engine, func, select
from support.clock import PinnedClock
from support.racing import race

from connector.billing import PeriodCadence, PeriodSettings
from connector.budgets import BudgetsService
from connector.budgets.applying import reconcile_ids
from connector.budgets.periods import PeriodCloser
from connector.storage.tables.budgets import entry_allocation, ledger_line


def _service(engine: Engine) -> BudgetsService:
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    service.create(auto_budget(id="acme", customer=ACME), actor="test")
    return service


def _states(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(entry_allocation.c.budget_id, entry_allocation.c.state))
        return {budget_id: state for budget_id, state in rows}


def _lines(engine: Engine) -> list[tuple[str, str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(ledger_line.c.budget_id, ledger_line.c.kind, ledger_line.c.amount_cents)
            .where(ledger_line.c.time_entry_id == "e1")
            .order_by(ledger_line.c.id)
        )
        return [(b, k, a) for b, k, a in rows]


def test_a_subtracted_entry_moved_to_an_auto_budget_is_reversed_then_subtracted_there(engine: Engine) -> None:
    service = _service(engine)
    service.create(auto_budget(id="globex", customer=GLOBEX, name="Globex"), actor="test")
    put_entry(engine, "e1")
    service.apply_entries(["e1"])
    put_entry(engine, "e1", customer=GLOBEX)

    report = service.apply_entries(["e1"])

    assert not report.conflicts
    assert report.outcomes["reversed"] == 1 and report.outcomes["subtracted"] == 1
    assert _states(engine) == {"acme": "released", "globex": "subtracted"}
    assert _lines(engine) == [
        ("acme", "subtraction", -9000),
        ("acme", "reversal", 9000),
        ("globex", "subtraction", -9000),
    ]
    assert line_sum(engine, "acme", "subtraction", "reversal") == 0
    with engine.connect() as conn:
        details = conn.execute(
            select(ledger_line.c.details).where(ledger_line.c.kind == "reversal")
        ).scalar_one()
    assert details["old_customer"] == "company:c-acme" and details["new_customer"] == "company:c-globex"

    again = service.apply_entries(["e1"])
    reconciled = service.reconcile()
    assert again.changed == 0 and reconciled.changed == 0 and not reconciled.conflicts
    assert len(_lines(engine)) == 3


def test_an_entry_moved_to_a_manual_budget_is_pending_there(engine: Engine) -> None:
    service = _service(engine)
    service.create(make_budget(id="globex", customer=GLOBEX, name="Globex"), actor="test")
    put_entry(engine, "e1")
    service.apply_entries(["e1"])
    put_entry(engine, "e1", customer=GLOBEX)

    report = service.apply_entries(["e1"])

    assert not report.conflicts
    assert _states(engine) == {"acme": "released", "globex": "pending"}
    assert [k for _, k, _ in _lines(engine)] == ["subtraction", "reversal"]


def test_an_entry_moved_to_a_customer_without_budget_or_to_none_is_only_reversed(engine: Engine) -> None:
    service = _service(engine)
    put_entry(engine, "e1")
    put_entry(engine, "e2")
    service.apply_entries(["e1", "e2"])
    put_entry(engine, "e1", customer=GLOBEX)
    put_entry(engine, "e2", customer=None)

    report = service.apply_entries(["e1", "e2"])

    assert not report.conflicts and report.outcomes["reversed"] == 2
    assert line_sum(engine, "acme", "subtraction", "reversal") == 0
    assert service.reconcile().changed == 0


def test_an_entry_moved_back_is_subtracted_again_from_its_first_budget(engine: Engine) -> None:
    service = _service(engine)
    service.create(auto_budget(id="globex", customer=GLOBEX, name="Globex"), actor="test")
    put_entry(engine, "e1")
    service.apply_entries(["e1"])
    put_entry(engine, "e1", customer=GLOBEX)
    service.apply_entries(["e1"])
    put_entry(engine, "e1", customer=ACME)

    report = service.apply_entries(["e1"])

    assert not report.conflicts
    assert _states(engine) == {"acme": "subtracted", "globex": "released"}
    assert line_sum(engine, "acme", "subtraction", "reversal") == -9000
    assert line_sum(engine, "globex", "subtraction", "reversal") == 0


def test_later_edits_of_a_moved_entry_leave_nothing_for_reconcile_in_its_old_budget(engine: Engine) -> None:
    service = _service(engine)
    service.create(auto_budget(id="globex", customer=GLOBEX, name="Globex"), actor="test")
    put_entry(engine, "e1")
    service.apply_entries(["e1"])
    put_entry(engine, "e1", customer=GLOBEX)
    service.apply_entries(["e1"])
    put_entry(engine, "e1", customer=GLOBEX, seconds=7200)

    report = service.apply_entries(["e1"])

    assert report.outcomes["adjusted"] == 1
    with engine.connect() as conn:
        assert reconcile_ids(conn) == []
    assert line_sum(engine, "globex") == -18000 + 200000
    assert line_sum(engine, "acme", "subtraction", "reversal") == 0


APPLIER = r"""
import json
from datetime import datetime
from connector.billing import PeriodCadence, PeriodSettings
from connector.budgets import BudgetsService
from connector.budgets.periods import PeriodCloser
from connector.storage import create_db_engine

now = datetime.fromisoformat(sys.argv[4])
service = BudgetsService(create_db_engine(sys.argv[3]), clock=lambda: now)
ids = [f"e{i:03d}" for i in range(int(sys.argv[5]))]
with service.engine.connect() as conn:
    conn.exec_driver_sql("SELECT 1")
ready_then_wait()
report = service.apply_entries(ids)
print(json.dumps({"outcomes": dict(report.outcomes), "conflicts": report.conflicts}))
"""


def test_two_instances_moving_the_same_entries_reverse_and_subtract_each_once(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    service = _service(engine)
    service.create(auto_budget(id="globex", customer=GLOBEX, name="Globex"), actor="test")
    ids = [f"e{i:03d}" for i in range(200)]
    for entry_id in ids:
        put_entry(engine, entry_id)
    service.apply_entries(ids)
    for entry_id in ids:
        put_entry(engine, entry_id, customer=GLOBEX)

    results = []
    for done in race(APPLIER, ("one", "two"), tmp_path, db_url, NOW.isoformat(), str(len(ids))):
        assert done.returncode == 0, done.stderr
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))

    assert all(not r["conflicts"] for r in results)
    assert sum(r["outcomes"].get("reversed", 0) for r in results) == len(ids)
    assert sum(r["outcomes"].get("subtracted", 0) for r in results) == len(ids)
    with engine.connect() as conn:
        kinds = conn.execute(
            select(ledger_line.c.budget_id, ledger_line.c.kind, func.count())
            .where(ledger_line.c.time_entry_id.is_not(None))
            .group_by(ledger_line.c.budget_id, ledger_line.c.kind)
        )
        assert {(b, k): n for b, k, n in kinds} == {
            ("acme", "subtraction"): len(ids),
            ("acme", "reversal"): len(ids),
            ("globex", "subtraction"): len(ids),
        }
    assert line_sum(engine, "acme", "subtraction", "reversal") == 0
    assert service.reconcile().changed == 0


def test_a_move_out_of_a_closed_month_is_reversed_in_the_open_month_naming_the_closed_one(
    engine: Engine,
) -> None:
    clock = PinnedClock(datetime(2026, 1, 1, 1, 0, tzinfo=UTC))
    service = BudgetsService(engine, clock=clock)
    monthly = PeriodSettings(cadence=PeriodCadence.MONTH, allowance=Decimal("1000"))
    service.create(auto_budget(id="acme", customer=ACME, periods=monthly), actor="test")
    service.create(auto_budget(id="globex", customer=GLOBEX, name="Globex"), actor="test")
    PeriodCloser(engine, clock=clock).close_due()
    put_entry(engine, "e1", day=date(2026, 1, 15))
    service.apply_entries(["e1"])
    clock.at = datetime(2026, 2, 1, 1, 0, tzinfo=UTC)
    assert not PeriodCloser(engine, clock=clock).close_due().blocked
    put_entry(engine, "e1", customer=GLOBEX, day=date(2026, 1, 15))

    report = service.apply_entries(["e1"])

    assert not report.conflicts
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ledger_line.c.kind, ledger_line.c.period_index, ledger_line.c.reason, ledger_line.c.details
            )
            .where(ledger_line.c.budget_id == "acme", ledger_line.c.time_entry_id == "e1")
            .order_by(ledger_line.c.id)
        ).all()
    (subtraction, reversal) = rows
    assert (subtraction.kind, subtraction.period_index) == ("subtraction", 0)
    assert (reversal.kind, reversal.period_index) == ("reversal", 1)
    assert "closed period" in reversal.reason and reversal.details["closed_period"]
    assert reversal.details["new_customer"] == "company:c-globex"
    assert _states(engine) == {"acme": "released", "globex": "subtracted"}


def test_a_budget_created_for_the_new_customer_takes_an_entry_its_old_budget_still_held(
    engine: Engine,
) -> None:
    service = _service(engine)
    put_entry(engine, "e1")
    service.apply_entries(["e1"])
    put_entry(engine, "e1", customer=GLOBEX)  # synced, but its apply never ran (a crash)

    service.create(auto_budget(id="globex", customer=GLOBEX, name="Globex"), actor="test")

    assert _states(engine) == {"acme": "released", "globex": "subtracted"}
    assert [(b, k) for b, k, _ in _lines(engine)] == [
        ("acme", "subtraction"),
        ("acme", "reversal"),
        ("globex", "subtraction"),
    ]
    assert service.reconcile().changed == 0
