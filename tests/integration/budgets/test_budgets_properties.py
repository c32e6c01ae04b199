"""Property tests of the budgets service over real SQLite and PostgreSQL databases: random
sequences of syncs, edits, deletions, replays, choices, undos and top-up credits keep the
ledger's promises."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from budgets_fixtures import ACME, GLOBEX, NOW, eur, make_budget, put_entry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from support.clock import PinnedClock

from connector.billing import (
    BudgetUnit,
    ChoiceRefused,
    SubtractionMode,
    SubtractionRule,
    ValuationSettings,
)
from connector.budgets import BudgetsService, Choice, Selection
from connector.budgets.invoicing_ports import LedgerCredits
from connector.storage import create_db_engine, metadata
from connector.storage.tables.budgets import entry_allocation, ledger_line
from connector.storage.tables.sync import time_entry

MONEY = make_budget(
    mode=SubtractionMode.AUTO,
    rules=(SubtractionRule("support", tags=frozenset({"support"})),),
    valuation=ValuationSettings(
        default_rate=eur("90"), user_rates={"u-ann": eur("120.50")}, rounding_increment_seconds=900
    ),
)
HOURS = make_budget(
    id="b2",
    customer=GLOBEX,
    name="Globex hours",
    unit=BudgetUnit.hours(eur("80")),
    valuation=ValuationSettings(rounding_increment_seconds=600, minimum_seconds=1800),
    opening_balance=Decimal("20"),
    threshold=Decimal("5"),
)
ENTRIES = [f"e{i}" for i in range(5)]


def reference(budget_id: str, seconds: int, user: str) -> tuple[int, int]:
    """(cents, rounded seconds) with integer arithmetic only, independently of the domain."""
    increment, minimum = (900, 0) if budget_id == "b1" else (600, 1800)
    rounded = -(-seconds // increment) * increment
    if seconds > 0:
        rounded = max(rounded, minimum)
    if budget_id == "b2":
        return (2 * rounded * 8000 + 3600) // 7200, rounded
    rate = 12050 if user == "u-ann" else 9000
    return (2 * rounded * rate + 3600) // 7200, rounded


@dataclass
class World:
    service: BudgetsService
    clock: PinnedClock
    credits: int = 0

    @property
    def engine(self) -> Engine:
        return self.service.engine


edits = st.fixed_dictionaries(
    {
        "entry": st.sampled_from(ENTRIES),
        "customer": st.sampled_from([ACME, GLOBEX, None]),
        "seconds": st.integers(0, 4 * 3600),
        "user_id": st.sampled_from(["u-ann", "u-bob"]),
        "description": st.sampled_from(["Fix #support", "Meeting", "Call #Support"]),
        "invoiceable": st.booleans(),
        "billing_type": st.sampled_from([None, None, None, "invoice", "prepaid"]),
        "deleted": st.sampled_from([False, False, False, True]),
        "day": st.sampled_from([date(2025, 12, 31), date(2026, 3, 2), date(2026, 3, 3)]),
    }
)
steps = st.one_of(
    st.tuples(st.just("edit"), edits),
    st.tuples(st.just("replay"), st.just(None)),
    st.tuples(st.sampled_from(["subtract", "exclude", "undo", "redo"]), st.sampled_from(ENTRIES)),
    st.tuples(st.just("credit"), st.integers(1, 50_000)),
)


def sums(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ledger_line.c.budget_id, func.sum(ledger_line.c.amount_cents), func.sum(ledger_line.c.seconds)
            ).group_by(ledger_line.c.budget_id)
        ).all()
    return {b: (int(s) if b == "b2" else int(c)) for b, c, s in rows}


def subtracted_now(engine: Engine, entry_id: str) -> bool:
    with engine.connect() as conn:
        states = conn.execute(
            select(entry_allocation.c.state).where(entry_allocation.c.time_entry_id == entry_id)
        ).scalars()
        return "subtracted" in set(states)


def check(world: World) -> None:
    with world.engine.connect() as conn:
        allocations = conn.execute(select(entry_allocation)).mappings().all()
        entries = {r.id: r for r in conn.execute(select(time_entry))}
        lines = conn.execute(select(ledger_line)).mappings().all()
    subtracted = [a for a in allocations if a["state"] == "subtracted"]
    assert len({a["time_entry_id"] for a in subtracted}) == len(subtracted), "an entry subtracted twice"
    held: dict[tuple[str, str], tuple[int, int]] = {}
    for a in subtracted:
        held[(a["budget_id"], a["time_entry_id"])] = (a["amount_cents"], a["rounded_seconds"])
        entry = entries[a["time_entry_id"]]
        if a["seen_revision"] == entry.revision and a["rate_source"] != "teamleader":
            expected = reference(a["budget_id"], entry.duration_seconds, entry.user_id)
            assert (a["amount_cents"], a["rounded_seconds"]) == expected
    entry_lines: dict[tuple[str, str], list[int]] = {}
    for line in lines:
        if line["time_entry_id"] is not None:
            value = entry_lines.setdefault((line["budget_id"], line["time_entry_id"]), [0, 0])
            value[0] += line["amount_cents"]
            value[1] += line["seconds"]
    for key, (cents, seconds) in entry_lines.items():
        assert (-cents, -seconds) == held.get(key, (0, 0)), f"ledger of {key} disagrees with its allocation"
    by_budget = sums(world.engine)
    opening = {"b1": 200000, "b2": 20 * 3600}
    for budget_id, total in by_budget.items():
        spent = sum(v[1 if budget_id == "b2" else 0] for k, v in held.items() if k[0] == budget_id)
        credits = world.credits if budget_id == "b1" else 0
        assert total == opening[budget_id] + credits - spent


def run(world: World, step: tuple[str, Any], actor: str = "ann") -> None:
    kind, arg = step
    world.clock.tick()
    if kind == "edit":
        values = dict(arg)
        put_entry(world.engine, values.pop("entry"), **values)
        world.service.apply_entries([arg["entry"]])
    elif kind == "replay":
        before = sums(world.engine)
        assert world.service.apply_entries(ENTRIES).changed == 0
        assert sums(world.engine) == before
    elif kind == "credit":
        with world.engine.begin() as conn:
            LedgerCredits().credit(
                conn,
                budget_id="b1",
                topup_id=f"t{world.clock.at.timestamp()}",
                invoice_id="inv",
                invoice_number=None,
                amount_cents=arg,
                quantity_seconds=None,
                now=world.clock.at,
            )
        world.credits += arg
    else:
        choice = Choice.SUBTRACT if kind == "redo" else Choice(kind)
        try:
            if kind == "redo":
                if not subtracted_now(world.engine, arg):
                    return
                before = sums(world.engine)
                world.service.choose(Choice.UNDO, Selection(entry_ids=(arg,)), actor=actor)
                world.service.choose(Choice.SUBTRACT, Selection(entry_ids=(arg,)), actor=actor)
                assert sums(world.engine) == before
            else:
                world.service.choose(choice, Selection(entry_ids=(arg,)), actor=actor)
        except ChoiceRefused:
            pass
        except Exception as error:
            if "not in exactly one budget" not in str(error) and "not synced" not in str(error):
                raise


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """A factory of empty, migrated databases: hypothesis runs many histories in one test call,
    and each history starts from nothing (a copy of the SQLite template, or PostgreSQL emptied:
    deleting a few rows costs far less than a TRUNCATE of every table)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")

        def sqlite_copy() -> str:
            path = tmp_path / "p.db"
            for stale in tmp_path.glob("p.db*"):
                stale.unlink()
            shutil.copy(template, path)
            return f"sqlite:///{path}"

        return sqlite_copy
    url: str = request.getfixturevalue("_postgres_database")

    def emptied() -> str:
        engine = create_db_engine(url)
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
        engine.dispose()
        return url

    return emptied


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(steps, min_size=1, max_size=14))
def test_ledger_promises_hold_over_any_history(
    fresh_database: Callable[[], str], history: list[tuple[str, Any]]
) -> None:
    engine = create_db_engine(fresh_database())
    try:
        clock = PinnedClock(NOW)
        world = World(BudgetsService(engine, clock=clock), clock)
        world.service.create(MONEY, actor="test")
        world.service.create(replace(HOURS), actor="test")
        for step in history:
            run(world, step)
            check(world)
    finally:
        engine.dispose()
