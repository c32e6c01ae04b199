"""Customers of entries on tasks, tickets and milestones, on SQLite and PostgreSQL: batched, cached
only when definitive, unresolved entries retried anywhere, and never an API call in a transaction."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select
from support.clock import PinnedClock
from support.fake_source import FakeSource, entry

from connector.storage.tables.sync import subject_link, time_entry
from connector.sync.customers import count_unresolved
from connector.sync.engine import SyncEngine
from connector.sync.inbox import InboxProcessor, record_event

ACME, GLOBEX = ("company", "acme"), ("contact", "globex")


class World:
    """A fake Teamleader, the sync engine and the inbox on one database, and what they handed on."""

    def __init__(self, engine: Engine, *, window_days: int = 60, lookup_seconds: float = 60) -> None:
        self.engine = engine
        self.clock = PinnedClock()
        self.source = FakeSource(engine, self.clock)
        self.handed: list[str] = []
        options: dict[str, Any] = {
            "clock": self.clock,
            "lookup_seconds": lookup_seconds,
            "link_max_age": timedelta(hours=24),
        }
        self.sync = SyncEngine(
            engine,
            self.source,
            since=date(2026, 1, 1),
            window_days=window_days,
            on_entries_changed=self.handed.extend,
            **options,
        )
        self.inbox = InboxProcessor(engine, self.source, on_entries_changed=self.handed.extend, **options)

    def customers(self) -> dict[str, tuple[Any, Any, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    time_entry.c.id,
                    time_entry.c.customer_type,
                    time_entry.c.customer_id,
                    time_entry.c.customer_source,
                )
            )
            return {r.id: (r.customer_type, r.customer_id, r.customer_source) for r in rows}

    def links(self) -> dict[tuple[str, str], tuple[Any, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(subject_link))
            return {(r.subject_type, r.subject_id): (r.customer_type, r.customer_id) for r in rows}

    def unresolved(self) -> int:
        with self.engine.connect() as conn:
            return count_unresolved(conn)

    def webhook(self, event_type: str, subject_type: str, subject_id: str) -> None:
        payload = {"type": event_type, "subject": {"type": subject_type, "id": subject_id}}
        assert record_event(self.engine, payload, account_id=None, now=self.clock.now())


def _on_tasks(world: World, tasks: int, per_task: int = 2) -> list[str]:
    ids = []
    for t in range(tasks):
        world.source.task(f"t{t:03d}", ACME if t % 2 else GLOBEX)
        for n in range(per_task):
            ids.append(f"e{t:03d}-{n}")
            world.source.entries.append(entry(ids[-1], ("todo", f"t{t:03d}")))
    return ids


def test_entries_on_250_tasks_cost_three_task_lists_outside_any_transaction(engine: Engine) -> None:
    world = World(engine)
    ids = _on_tasks(world, 250)
    world.source.entries.append(entry("direct", ACME))
    report = world.sync.full()
    assert world.source.calls["tasks.list"] == 3
    assert world.source.calls_in_transaction == 0
    customers = world.customers()
    assert customers["e001-0"] == (*ACME, "lookup") and customers["e002-1"] == (*GLOBEX, "lookup")
    assert {customers[i][2] for i in ids} == {"lookup"}
    assert report.unresolved_entries == 0
    assert set(ids) <= set(world.handed)
    world.sync.full()
    assert world.source.calls["tasks.list"] == 3, "fresh links are not asked again"


def test_no_customer_and_a_gone_task_are_cached_and_not_asked_again(engine: Engine) -> None:
    world = World(engine)
    world.source.task("lonely", None)
    world.source.entries += [entry("a", ("todo", "lonely")), entry("b", ("todo", "deleted"))]
    world.sync.full()
    assert world.customers()["a"] == (None, None, "none")
    assert world.customers()["b"] == (None, None, "none")
    assert world.links() == {("todo", "lonely"): (None, None), ("todo", "deleted"): (None, None)}
    assert world.unresolved() == 0
    world.sync.windowed()
    assert world.source.calls["tasks.list"] == 1


def test_an_outage_caches_nothing_and_the_next_sync_links_entries_outside_its_window(engine: Engine) -> None:
    world = World(engine, window_days=1)
    ids = _on_tasks(world, 150)
    world.source.failing.add("tasks.list")
    report = world.sync.full()
    assert world.source.calls["tasks.list"] == 1, "one failed call, not one per batch or subject"
    assert report.unresolved_entries == len(ids) == world.unresolved()
    assert world.links() == {}
    assert {world.customers()[i] for i in ids} == {(None, None, "unresolved")}
    world.source.failing.clear()
    world.handed.clear()
    report = world.sync.windowed()
    assert world.source.calls["tasks.list"] == 3
    assert report.unresolved_entries == 0 == world.unresolved()
    assert world.customers()["e001-0"] == (*ACME, "lookup")
    assert set(ids) <= set(world.handed), "linked entries are handed on to the budgets"
    assert world.source.calls_in_transaction == 0


def test_lookups_of_a_run_share_one_deadline_and_the_rest_waits_for_the_next_sync(engine: Engine) -> None:
    world = World(engine, lookup_seconds=60)
    world.source.slow["tasks.list"] = 40
    _on_tasks(world, 500, per_task=1)
    report = world.sync.full()
    assert world.source.calls["tasks.list"] == 2
    assert report.unresolved_entries == 300
    world.sync.windowed()
    world.sync.windowed()
    assert world.unresolved() == 0
    assert world.source.calls["tasks.list"] == 5


def test_an_old_link_is_asked_again_and_a_moved_task_moves_its_entries(engine: Engine) -> None:
    world = World(engine)
    ids = _on_tasks(world, 3)
    world.sync.full()
    world.source.task("t001", GLOBEX)
    world.sync.windowed()
    assert world.customers()["e001-0"] == (*ACME, "lookup"), "a fresh link is trusted"
    world.clock.advance(hours=25)
    world.handed.clear()
    world.sync.windowed()
    assert world.source.calls["tasks.list"] == 2
    assert world.customers()["e001-0"] == (*GLOBEX, "lookup")
    assert sorted(world.handed) == ["e001-0", "e001-1"]
    assert len(ids) == 6


def test_milestones_are_asked_per_level_and_follow_their_project(engine: Engine) -> None:
    world = World(engine)
    world.source.milestone("m-1", "p-1")
    world.source.milestone("m-2", "p-1")
    world.source.milestone("m-3", "p-gone")
    world.source.project("p-1", ACME)
    world.source.entries += [entry(f"m{n}", ("milestone", f"m-{n}")) for n in (1, 2, 3)]
    world.sync.full()
    assert world.source.calls["milestones.list"] == 1
    assert world.source.calls["projects.info"] == 2
    customers = world.customers()
    assert customers["m1"] == customers["m2"] == (*ACME, "lookup")
    assert customers["m3"] == (None, None, "none")
    world.source.project("p-1", GLOBEX)
    world.webhook("project.updated", "project", "p-1")
    world.handed.clear()
    world.inbox.process()
    assert world.customers()["m1"] == (*GLOBEX, "lookup")
    assert sorted(world.handed) == ["m1", "m2"]
    assert world.source.calls_in_transaction == 0


def test_a_task_webhook_refreshes_its_link_and_an_unknown_task_costs_nothing(engine: Engine) -> None:
    world = World(engine)
    _on_tasks(world, 2)
    world.sync.full()
    world.source.task("t000", ACME)
    world.webhook("task.updated", "task", "t000")
    world.webhook("task.updated", "task", "never-tracked")
    world.handed.clear()
    world.inbox.process()
    assert world.source.calls["tasks.list"] == 2
    assert world.source.bodies[-1][1]["filter"]["ids"] == ["t000"]
    assert world.customers()["e000-0"] == (*ACME, "lookup")
    assert sorted(world.handed) == ["e000-0", "e000-1"]


def test_a_failed_refresh_keeps_the_link_and_leaves_it_to_the_next_sync(engine: Engine) -> None:
    world = World(engine)
    _on_tasks(world, 1)
    world.sync.full()
    world.source.task("t000", ACME)
    world.source.failing.add("tasks.list")
    world.webhook("task.updated", "task", "t000")
    world.inbox.process()
    assert world.customers()["e000-0"] == (*GLOBEX, "lookup")
    world.source.failing.clear()
    world.sync.windowed()
    assert world.customers()["e000-0"] == (*ACME, "lookup")


def test_a_webhook_entry_on_a_new_task_is_linked_after_its_write(engine: Engine) -> None:
    world = World(engine)
    world.source.task("t-new", ACME)
    world.source.entries.append(entry("fresh", ("todo", "t-new")))
    world.webhook("timeTracking.added", "timeTracking", "fresh")
    world.inbox.process()
    assert world.customers()["fresh"] == (*ACME, "lookup")
    assert world.handed == ["fresh"]
    assert world.source.calls_in_transaction == 0


def test_the_fake_sees_a_call_made_inside_a_transaction(engine: Engine) -> None:
    source = FakeSource(engine)
    with engine.begin():
        source.call("users.list", {})
    source.call("users.list", {})
    assert source.calls_in_transaction == 1
