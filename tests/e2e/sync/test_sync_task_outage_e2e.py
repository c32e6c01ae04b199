"""Time on tasks while Teamleader's tasks answer 503 (issue 16), over real sockets, SQLite and PostgreSQL.

The first sync finishes with a bounded number of task calls (no per-subject retry storm), caches
nothing and lists the entries as unresolved; once the outage is over, one more sync links every
one to its customer and the budgets count them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from support.cli import json_output, run_cli
from support.sandbox_copy import assert_copy_equals_sandbox, control, expected_customers

from connector.billing import (
    Budget,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    Money,
    SubtractionMode,
    SubtractionRule,
    ValuationSettings,
)
from connector.bootstrap import Container
from connector.budgets.reports import balance_rows
from connector.storage.tables.budgets import ledger_line
from connector.sync.inbox import record_event
from connector.teamleader.operations import MAX_ATTEMPTS


def _budget_for_every_customer(stack: Container, customers: set[tuple[str, str]]) -> None:
    for n, (kind, ident) in enumerate(sorted(customers)):
        stack.budgets().create(
            Budget(
                id=f"tasks-{n}",
                customer=CustomerRef(CustomerType(kind), ident),
                name=f"Prepaid {n}",
                unit=BudgetUnit.money("EUR"),
                start=date(2020, 1, 1),
                valuation=ValuationSettings(default_rate=Money(Decimal("90"), "EUR")),
                mode=SubtractionMode.AUTO,
                rules=(SubtractionRule("all"),),
                threshold=Decimal("0"),
                opening_balance=Decimal("100000"),
            ),
            actor="e2e",
        )


def _listed(stack: Container, tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json_output(
        run_cli(stack.engine, tmp_path, "entries", "list", "--json", "--limit", "100000", *args)
    )
    return rows


def _task_calls(sandbox: Any) -> int:
    counts = control(sandbox, "GET", "requests")["counts"]
    return sum(n for endpoint, n in counts.items() if endpoint.startswith("tasks."))


def test_entries_on_tasks_survive_a_503_outage_and_are_linked_and_counted_after_it(
    start_sandbox: Any, connect_stack: Any, tmp_path: Path
) -> None:
    sandbox = start_sandbox(entries=400, task_share=0.1)
    stack: Container = connect_stack(sandbox, customer_lookup_seconds=5)
    state = control(sandbox, "GET", "state?entries=1")
    customers = expected_customers(state)
    on_tasks = {e["id"] for e in state["time_entries"] if (e["subject"] or {}).get("type") == "todo"}
    linked = {i for i in on_tasks if customers[i] is not None}
    assert linked and on_tasks - linked, "the seed has time on tasks with and without a customer"
    _budget_for_every_customer(stack, {c for c in customers.values() if c is not None})

    control(sandbox, "DELETE", "requests")
    control(sandbox, "POST", "faults", {"endpoint": "tasks.*", "kind": "status", "status": 503})
    report = stack.sync_engine().full()
    assert 1 <= _task_calls(sandbox) <= MAX_ATTEMPTS, "one batch, its retries cut by the deadline"
    assert report.unresolved_entries == len(on_tasks)
    unresolved = _listed(stack, tmp_path, "--state", "unresolved")
    assert {r["entry"] for r in unresolved} == on_tasks
    assert {r["state"] for r in unresolved} == {"unresolved"}
    assert all(r["subject"]["type"] == "todo" and r["budget"] is None for r in unresolved)
    assert not linked & {r["entry"] for r in _listed(stack, tmp_path)}
    refused = run_cli(
        stack.engine, tmp_path, "entries", "list", "--state", "unresolved", "--budget", "tasks-0"
    )
    assert refused.returncode != 0 and "drop --budget" in refused.stderr

    control(sandbox, "DELETE", "faults")
    control(sandbox, "DELETE", "requests")
    report = stack.sync_engine().windowed()
    distinct_tasks = {e["subject"]["id"] for e in state["time_entries"] if e["id"] in on_tasks}
    assert _task_calls(sandbox) == -(-len(distinct_tasks) // 100)
    assert report.unresolved_entries == 0
    assert _listed(stack, tmp_path, "--state", "unresolved") == []
    assert_copy_equals_sandbox(stack.engine, sandbox)
    counted = {r["entry"] for r in _listed(stack, tmp_path)}
    assert linked <= counted, "every linked entry is in its customer's budget"
    assert not (on_tasks - linked) & counted


def _settled(stack: Container) -> dict[str, int]:
    with stack.engine.connect() as conn:
        return {row.budget_id: row.settled for row in balance_rows(conn)}


def _entry_lines(stack: Container, entry_ids: set[str]) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """Each (budget, entry)'s lines in the order written: (kind, cents)."""
    lines: dict[tuple[str, str], list[tuple[str, int]]] = {}
    query = (
        select(
            ledger_line.c.budget_id,
            ledger_line.c.time_entry_id,
            ledger_line.c.kind,
            ledger_line.c.amount_cents,
        )
        .where(ledger_line.c.time_entry_id.in_(sorted(entry_ids)))
        .order_by(ledger_line.c.id)
    )
    with stack.engine.connect() as conn:
        for budget_id, entry_id, kind, cents in conn.execute(query):
            lines.setdefault((budget_id, entry_id), []).append((kind, cents))
    return lines


def test_a_task_moved_to_another_customer_moves_its_time_on_the_webhook(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox(entries=400, task_share=0.1)
    stack: Container = connect_stack(sandbox)
    state = control(sandbox, "GET", "state?entries=1")
    tracked = {(e["subject"] or {}).get("id") for e in state["time_entries"]}
    task = next(t for t in state["todos"] if t["customer"] and t["id"] in tracked)
    entries = {e["id"] for e in state["time_entries"] if (e["subject"] or {}).get("id") == task["id"]}
    other = next(c for c in state["companies"] if c["id"] != task["customer"]["id"])
    old_key, new_key = (task["customer"]["type"], task["customer"]["id"]), ("company", other["id"])
    _budget_for_every_customer(stack, {old_key, new_key})
    old, new = ("tasks-0", "tasks-1") if old_key < new_key else ("tasks-1", "tasks-0")
    stack.sync_engine().full()
    before = _settled(stack)
    subtracted = {e: ls for (b, e), ls in _entry_lines(stack, entries).items() if b == old}
    assert subtracted and all(kinds[0][0] == "subtraction" for kinds in subtracted.values())

    control(sandbox, "POST", f"tasks/{task['id']}", {"customer": {"type": "company", "id": other["id"]}})
    handed: list[str] = []
    hand_on = stack.entries_changed

    def handed_and_applied(ids: Sequence[str]) -> None:
        handed.extend(ids)
        hand_on(ids)

    stack.entries_changed = handed_and_applied  # type: ignore[method-assign]
    control(sandbox, "DELETE", "requests")
    event = {"type": "task.updated", "subject": {"type": "task", "id": task["id"]}}
    assert record_event(stack.engine, event, account_id=None, now=stack.clock.now())
    stack.drain_inbox()
    assert control(sandbox, "GET", "requests")["counts"] == {"tasks.list": 1}
    assert_copy_equals_sandbox(stack.engine, sandbox)
    assert sorted(handed) == sorted(entries)

    moved = sum(-lines[0][1] for lines in subtracted.values())
    after = _settled(stack)
    assert after[old] == before[old] + moved, "the old budget's settled balance is restored"
    assert after[new] == before[new] - moved, "the new budget counts the moved time"
    lines = _entry_lines(stack, entries)
    for entry_id, (first, *_) in subtracted.items():
        assert lines[(old, entry_id)] == [first, ("reversal", -first[1])]
        assert lines[(new, entry_id)] == [first]
    assert stack.budgets().reconcile().changed == 0
    assert record_event(stack.engine, event, account_id=None, now=stack.clock.now())
    stack.drain_inbox()
    assert _settled(stack) == after and _entry_lines(stack, entries) == lines
