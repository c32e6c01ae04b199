"""Customer lookups: batched by 100 ids, definitive answers only, one failed call per kind, one deadline."""

from __future__ import annotations

from typing import Any

import pytest
from support.clock import PinnedClock
from support.fake_source import FakeSource

from connector.sync.lookups import Link, LookupDeadline, SubjectLookups
from connector.sync.mapping import content_hash, entry_with_customer, map_time_entry

ACME = ("company", "acme")


def _tasks(source: FakeSource, count: int) -> set[tuple[str, str]]:
    for n in range(count):
        source.task(f"t{n:03d}", ACME)
    return {("todo", f"t{n:03d}") for n in range(count)}


def test_tasks_are_asked_one_list_call_per_100_ids() -> None:
    clock, source = PinnedClock(), FakeSource()
    keys = _tasks(source, 250)
    answers = SubjectLookups(source).direct(keys, LookupDeadline(clock, 60))
    assert source.calls["tasks.list"] == 3
    assert all(len(body["filter"]["ids"]) <= 100 for _, body in source.bodies)
    assert answers.links == {k: Link(ACME) for k in keys}
    assert answers.unresolved == set()


def test_no_customer_and_gone_are_definitive_answers() -> None:
    clock, source = PinnedClock(), FakeSource()
    source.task("lonely", None)
    source.project("p-1", None)
    answers = SubjectLookups(source).direct(
        {("todo", "lonely"), ("todo", "deleted"), ("project", "p-1"), ("project", "p-gone")},
        LookupDeadline(clock, 60),
    )
    assert answers.links == {
        ("todo", "lonely"): Link(None),
        ("todo", "deleted"): Link(None),
        ("project", "p-1"): Link(None),
        ("project", "p-gone"): Link(None),
    }
    assert answers.unresolved == set()


def test_a_failing_kind_is_asked_once_and_nothing_of_it_is_answered() -> None:
    clock, source = PinnedClock(), FakeSource()
    keys = _tasks(source, 250)
    source.ticket("k-1", ACME)
    source.failing.add("tasks.list")
    answers = SubjectLookups(source).direct(keys | {("ticket", "k-1")}, LookupDeadline(clock, 60))
    assert source.calls["tasks.list"] == 1
    assert answers.unresolved == keys
    assert answers.links == {("ticket", "k-1"): Link(ACME)}


def test_every_call_carries_the_one_deadline_and_none_starts_after_it() -> None:
    clock = PinnedClock()
    source = FakeSource(clock=clock)
    source.slow["tasks.list"] = 40
    keys = _tasks(source, 500)
    deadline = LookupDeadline(clock, 60)
    answers = SubjectLookups(source).direct(keys, deadline)
    assert source.calls["tasks.list"] == 2
    assert set(source.deadlines) == {deadline.at()}
    assert len(answers.links) == 200 and len(answers.unresolved) == 300


def test_milestones_answer_their_project() -> None:
    clock, source = PinnedClock(), FakeSource()
    source.milestone("m-1", "p-1")
    source.milestone("m-2", None)
    answers = SubjectLookups(source).milestones({"m-1", "m-2", "m-gone"}, LookupDeadline(clock, 60))
    assert answers.links == {
        ("milestone", "m-1"): Link(None, "p-1"),
        ("milestone", "m-2"): Link(None),
        ("milestone", "m-gone"): Link(None),
    }


@pytest.mark.parametrize("source", ["subject", "relates_to"])
def test_a_customer_from_the_payload_keeps_the_payload_hash(source: str) -> None:
    row = map_time_entry({"id": "e", "started_on": "2026-11-02", "duration": 60}, PinnedClock().now())
    assert entry_with_customer(row, ACME, source)["content_hash"] == content_hash(row["raw"])


def test_a_looked_up_customer_is_part_of_the_hash() -> None:
    raw = {"id": "e", "started_on": "2026-11-02", "duration": 60, "subject": {"type": "todo", "id": "t"}}
    row = map_time_entry(raw, PinnedClock().now())
    assert row["customer_source"] == "unresolved"
    hashes = {
        row["content_hash"],
        entry_with_customer(row, ACME, "lookup")["content_hash"],
        entry_with_customer(row, ("company", "other"), "lookup")["content_hash"],
        entry_with_customer(row, None, "none")["content_hash"],
    }
    assert len(hashes) == 4


def test_an_answer_that_ignored_the_ids_filter_is_not_taken_for_deletions() -> None:
    clock, source = PinnedClock(), FakeSource()
    source.task("asked", ACME)
    source.task("other", ACME)
    ignoring = source.call

    def unfiltered(
        endpoint: str, body: dict[str, Any] | None = None, *, deadline: float | None = None
    ) -> Any:
        ignoring(endpoint, body, deadline=deadline)
        return {"data": [source.records[("todo", "other")]]}

    source.call = unfiltered  # type: ignore[method-assign]
    answers = SubjectLookups(source).direct({("todo", "asked")}, LookupDeadline(clock, 60))
    assert answers.links == {}
    assert answers.unresolved == {("todo", "asked")}
