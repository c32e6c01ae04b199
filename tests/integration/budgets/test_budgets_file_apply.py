"""`budgets apply`: idempotent, customers by exact name or id, a bad file rejected whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from budgets_fixtures import NOW, add_company
from sqlalchemy import Engine, func, select
from support.clock import PinnedClock

from connector.billing import BudgetsFileError
from connector.budgets import BudgetsService
from connector.budgets.files import apply_file
from connector.storage.tables.budgets import budget, ledger_line

GOOD = """
[[budget]]
id = "acme"
name = "Acme support"
customer = "Acme NV"
start = 2026-01-01
opening_balance = 100.00

[[budget]]
id = "globex"
name = "Globex"
customer = { type = "company", id = "c-globex" }
start = 2026-01-01
"""


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_apply_twice_changes_nothing_the_second_time(engine: Engine, tmp_path: Path) -> None:
    add_company(engine, "c-acme", "Acme NV")
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    path = tmp_path / "budgets.toml"
    path.write_text(GOOD)
    assert [(c.budget_id, c.action) for c in apply_file(service, path, actor="t")] == [
        ("acme", "created"),
        ("globex", "created"),
    ]
    assert {c.action for c in apply_file(service, path, actor="t")} == {"unchanged"}
    path.write_text(GOOD.replace("opening_balance = 100.00", "opening_balance = 150.00"))
    (change, _) = apply_file(service, path, actor="t")
    assert (change.action, change.fields) == ("updated", ("opening_balance",))
    assert count(engine, ledger_line) == 2


def test_a_bad_file_is_rejected_whole_with_line_and_field(engine: Engine, tmp_path: Path) -> None:
    service = BudgetsService(engine, clock=PinnedClock(NOW))
    path = tmp_path / "budgets.toml"
    path.write_text(GOOD)
    with pytest.raises(BudgetsFileError, match=r"budgets.toml:2: budget acme: customer: no synced company"):
        apply_file(service, path, actor="t")
    path.write_text(
        GOOD.replace("opening_balance = 100.00\n", "opening_balance = 100.00\nmode = 'sometimes'\n")
    )
    with pytest.raises(BudgetsFileError, match=r":8: budget\[0\]\.mode"):
        apply_file(service, path, actor="t")
    assert count(engine, budget) == 0
