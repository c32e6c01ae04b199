"""The ledger checkpoint is only a shortcut: balances with it always equal the plain sum of lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from budgets_fixtures import NOW, make_budget
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, func, insert, select

from connector.billing import CustomerRef, CustomerType
from connector.budgets.balance_queries import balances, checkpoint_if_behind, refresh_checkpoints
from connector.budgets.budget_queries import insert_budget
from connector.storage import create_db_engine
from connector.storage.tables.budgets import ledger_checkpoint, ledger_line

BUDGETS = ["b0", "b1", "b2"]

Append = tuple[str, int, int, int]
Refresh = tuple[str]
Op = Append | Refresh | tuple[str, int]

appends = st.tuples(
    st.just("append"),
    st.integers(0, len(BUDGETS) - 1),
    st.integers(-(10**9), 10**9),
    st.integers(-(10**6), 10**6),
)
operations = st.lists(
    st.one_of(appends, st.just(("refresh",)), st.tuples(st.just("behind"), st.integers(0, 3))),
    max_size=25,
)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    made = create_db_engine(db_url)
    with made.begin() as conn:
        for i, budget_id in enumerate(BUDGETS):
            b = make_budget(id=budget_id, customer=CustomerRef(CustomerType.COMPANY, f"c{i}"))
            insert_budget(conn, b, actor="test", at=NOW)
    yield made
    made.dispose()


def _plain(conn: Connection, budget_ids: list[str] | None = None) -> dict[str, tuple[int, int]]:
    query = select(
        ledger_line.c.budget_id, func.sum(ledger_line.c.amount_cents), func.sum(ledger_line.c.seconds)
    ).group_by(ledger_line.c.budget_id)
    if budget_ids is not None:
        query = query.where(ledger_line.c.budget_id.in_(budget_ids))
    return {r[0]: (int(r[1]), int(r[2])) for r in conn.execute(query)}


def _line(budget_id: str, n: int, cents: int, seconds: int) -> dict[str, Any]:
    return {
        "budget_id": budget_id,
        "kind": "correction",
        "amount_cents": cents,
        "currency": "EUR",
        "seconds": seconds,
        "source_key": f"test:{budget_id}:{n}",
        "actor": "test",
        "at": NOW,
        "reason": "property test",
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=operations)
def test_checkpointed_balances_equal_the_plain_sum_of_lines(engine: Engine, history: list[Op]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(ledger_checkpoint))
        conn.execute(delete(ledger_line))
    for n, op in enumerate(history):
        with engine.begin() as conn:
            if op[0] == "append":
                _, index, cents, seconds = op  # type: ignore[misc]
                conn.execute(insert(ledger_line), [_line(BUDGETS[index], n, cents, seconds)])
            elif op[0] == "refresh":
                refresh_checkpoints(conn, at=NOW)
            else:
                checkpoint_if_behind(conn, at=NOW, lag=op[1])  # type: ignore[misc]
        with engine.connect() as conn:
            assert balances(conn) == _plain(conn)
            assert balances(conn, ["b1", "b2"]) == _plain(conn, ["b1", "b2"])


def test_refreshing_twice_changes_nothing_and_moves_every_checkpoint_to_the_newest_line(
    engine: Engine,
) -> None:
    with engine.begin() as conn:
        conn.execute(insert(ledger_line), [_line("b0", 1, 500, 60), _line("b2", 2, -200, 30)])
        first = refresh_checkpoints(conn, at=NOW)
        stored = sorted(conn.execute(select(ledger_checkpoint)).all())
        second = refresh_checkpoints(conn, at=NOW)
        assert (second, sorted(conn.execute(select(ledger_checkpoint)).all())) == (first, stored)
        newest = conn.execute(select(func.max(ledger_line.c.id))).scalar_one()
        assert {row.upto_line_id for row in stored} == {newest}
        assert balances(conn) == {"b0": (500, 60), "b2": (-200, 30)}


def test_a_checkpoint_is_refreshed_only_when_the_tail_is_longer_than_the_lag(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(ledger_line), [_line("b1", n, 100, 0) for n in range(3)])
        assert not checkpoint_if_behind(conn, at=NOW, lag=3)
        assert checkpoint_if_behind(conn, at=NOW, lag=2)
        assert conn.execute(select(ledger_checkpoint.c.sum_cents)).scalars().all() == [300]
        assert balances(conn) == {"b1": (300, 0)}
