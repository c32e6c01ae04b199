"""Contract tests: tasks and the time tracked on them (issue 16, item 7; teamleader-api.md §5.12).

Time on a task names it as a `todo` subject; its `relates_to` carries neither the task nor the
task's customer, so clients look tasks up with `tasks.info` or, 100 at a time, `tasks.list`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest

from connector.sandbox import Sandbox, SeedParams, parse_fault_spec
from connector.sandbox.seed import build_state
from connector.sandbox.startup import build_config

Api = Callable[..., Awaitable[httpx.Response]]

HOOK = "https://connector.example/webhooks/teamleader/secret-path"


async def _reseed(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.post("/_sandbox/seed", json=params)
    assert response.status_code == 200, response.text
    seeded: dict[str, Any] = response.json()
    return seeded


def _on_tasks(sandbox: Sandbox) -> list[Any]:
    return [e for e in sandbox.state.entries.values() if e.subject and e.subject[0] == "todo"]


async def test_task_share_puts_that_share_of_entries_on_tasks(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """Seed knob `task_share`: exactly round(entries x share) entries on tasks, with and without customer."""
    seeded = await _reseed(client, entries=5000, task_share=0.05)
    assert seeded["seed"]["task_share"] == 0.05
    on_tasks = _on_tasks(sandbox)
    assert len(on_tasks) == 250
    tasks = {entry.subject[1] for entry in on_tasks}
    customers = [sandbox.state.todos[task_id].customer for task_id in tasks]
    assert any(customer is None for customer in customers)
    assert any(customer is not None for customer in customers)
    assert any(sandbox.state.todos[task_id].milestone_id for task_id in tasks)
    assert len(tasks) > 100


async def test_task_share_is_checked(client: httpx.AsyncClient) -> None:
    """A share outside 0..1 is a clear 400 from the control API and a ValueError for the CLI."""
    response = await client.post("/_sandbox/seed", json={"task_share": 1.5})
    assert response.status_code == 400
    assert "task_share" in response.json()["errors"][0]["title"]
    with pytest.raises(ValueError, match="--task-share"):
        build_config(
            seed=1,
            companies=1,
            contacts=1,
            entries=1,
            months=1,
            anchor=None,
            task_share=-0.1,
            client_id="c",
            client_secret="s",
            token_lifetime=60,
            rate_limit=0,
            faults=[],
            fault_seed=0,
        )
    assert build_config(
        seed=1,
        companies=1,
        contacts=1,
        entries=1,
        months=1,
        anchor=None,
        task_share=0.02,
        client_id="c",
        client_secret="s",
        token_lifetime=60,
        rate_limit=0,
        faults=[],
        fault_seed=0,
    ).seed.task_share == pytest.approx(0.02)


async def test_entries_on_tasks_carry_no_customer(
    api: Api, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """§5.12: subject type `todo`; relates_to has the milestone/project at most, never a customer."""
    await _reseed(client, entries=2000, task_share=0.05)
    rows: list[dict[str, Any]] = []
    for number in range(1, 30):
        body = {
            "filter": {"subject_types": ["todo"]},
            "includes": "relates_to",
            "page": {"size": 100, "number": number},
        }
        page = (await api("timeTracking.list", body)).json()["data"]
        rows += page
        if len(page) < 100:
            break
    assert len(rows) == len(_on_tasks(sandbox)) == 100
    for row in rows:
        assert row["subject"]["type"] == "todo"
        assert not {relation["type"] for relation in row["relates_to"]} & {"company", "contact", "todo"}
    assert any(row["relates_to"] for row in rows)


async def test_tasks_list_by_ids_pages_by_up_to_100(
    api: Api, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """tasks.list: filter.ids, page.size at most 100, a short page ends the listing; fields per the spec."""
    await _reseed(client, entries=5000, task_share=0.08)
    state = sandbox.state
    wanted = sorted({entry.subject[1] for entry in _on_tasks(sandbox)})[:150]
    assert len(wanted) == 150
    assert (await api("tasks.list", {"filter": {"ids": wanted}, "page": {"size": 101}})).status_code == 400
    pages = [
        (
            await api("tasks.list", {"filter": {"ids": wanted}, "page": {"size": 100, "number": number}})
        ).json()["data"]
        for number in (1, 2, 3)
    ]
    assert [len(page) for page in pages] == [100, 50, 0]
    rows = pages[0] + pages[1]
    assert sorted(row["id"] for row in rows) == wanted
    for row in rows:
        task = state.todos[row["id"]]
        assert row["customer"] == (
            {"type": task.customer[0], "id": task.customer[1]} if task.customer else None
        )
        assert row["milestone"] == (
            {"type": "milestone", "id": task.milestone_id} if task.milestone_id else None
        )
        assert row["project"] == ({"type": "project", "id": task.project_id} if task.project_id else None)
        assert row["added_at"] and "custom_fields" not in row
    assert any(row["customer"] is None for row in rows)
    default = (await api("tasks.list", {})).json()["data"]
    assert len(default) == 20


async def test_tasks_list_filters(api: Api, client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """tasks.list filters on milestone_id, customer and assignee; unknown filters are ignored."""
    await _reseed(client, entries=3000, task_share=0.05)
    task = next(task for task in sandbox.state.todos.values() if task.milestone_id and task.customer)
    assert task.customer is not None and task.milestone_id is not None
    by_milestone = (
        await api("tasks.list", {"filter": {"milestone_id": task.milestone_id}, "page": {"size": 100}})
    ).json()
    assert task.id in {row["id"] for row in by_milestone["data"]}
    assert all(row["milestone"]["id"] == task.milestone_id for row in by_milestone["data"])
    customer = {"type": task.customer[0], "id": task.customer[1]}
    by_customer = (await api("tasks.list", {"filter": {"customer": customer}, "page": {"size": 100}})).json()
    assert by_customer["data"] and all(row["customer"] == customer for row in by_customer["data"])
    assert (await api("tasks.list", {"filter": {"completed": True}})).json()["data"] == []


async def test_tasks_info(api: Api, sandbox: Sandbox) -> None:
    """tasks.info: the task with customer, project, milestone and custom_fields; 404 when unknown."""
    task = next(iter(sandbox.state.todos.values()))
    data = (await api("tasks.info", {"id": task.id})).json()["data"]
    assert data["id"] == task.id and data["custom_fields"] == [] and "added_at" not in data
    assert data["customer"] == ({"type": task.customer[0], "id": task.customer[1]} if task.customer else None)
    assert data["estimated_duration"] == {"unit": "min", "value": 60}
    missing = await api("tasks.info", {"id": "00000000-0000-4000-8000-000000000000"})
    assert missing.status_code == 404
    assert (await api("tasks.info", {})).status_code == 400


async def test_control_api_moves_a_task_and_fires_task_updated(
    api: Api, client: httpx.AsyncClient, sandbox: Sandbox, received: list[httpx.Request]
) -> None:
    """Moving a task to another milestone or clearing its customer shows at once in tasks.list,
    tasks.info and the relates_to of its entries (kept JSON is dropped), and fires task.updated."""
    state = sandbox.state
    await api("webhooks.register", {"url": HOOK, "types": ["task.updated", "task.created", "task.deleted"]})
    milestone_a, milestone_b = list(state.milestones.values())[:2]
    created = await client.post(
        "/_sandbox/tasks", json={"title": "Fix footer", "milestone_id": milestone_a.id}
    )
    assert created.status_code == 201
    task_id = created.json()["data"]["id"]
    assert state.todos[task_id].customer is None and state.todos[task_id].project_id == milestone_a.project_id
    entry = await client.post("/_sandbox/time-entries", json={"subject": {"type": "todo", "id": task_id}})
    entry_id = entry.json()["data"]["id"]
    listing = {"filter": {"ids": [entry_id]}, "includes": "relates_to"}
    before = (await api("timeTracking.list", listing)).json()["data"][0]["relates_to"]
    assert {"type": "milestone", "id": milestone_a.id} in before
    assert (await api("tasks.list", {"filter": {"ids": [task_id]}})).json()["data"][0]["customer"] is None

    company_id = next(iter(state.companies))
    moved = await client.post(
        f"/_sandbox/tasks/{task_id}",
        json={"milestone_id": milestone_b.id, "customer": {"type": "company", "id": company_id}},
    )
    assert moved.status_code == 204
    row = (await api("tasks.list", {"filter": {"ids": [task_id]}})).json()["data"][0]
    assert row["milestone"] == {"type": "milestone", "id": milestone_b.id}
    assert row["project"] == {"type": "project", "id": milestone_b.project_id}
    assert row["customer"] == {"type": "company", "id": company_id}
    after = (await api("timeTracking.list", listing)).json()["data"][0]["relates_to"]
    assert {"type": "milestone", "id": milestone_b.id} in after
    assert {"type": "milestone", "id": milestone_a.id} not in after

    await client.post(f"/_sandbox/tasks/{task_id}", json={"customer": None, "milestone_id": None})
    info = (await api("tasks.info", {"id": task_id})).json()["data"]
    assert info["customer"] is None and info["milestone"] is None and info["project"] is None
    assert (await api("timeTracking.list", listing)).json()["data"][0]["relates_to"] == []

    assert (await client.delete(f"/_sandbox/tasks/{task_id}")).status_code == 204
    assert (await api("tasks.info", {"id": task_id})).status_code == 404
    assert sandbox.webhooks.wait_idle()
    payloads = [json.loads(request.content) for request in received]
    assert [(p["type"], p["subject"]) for p in payloads] == [
        ("task.created", {"type": "task", "id": task_id}),
        ("task.updated", {"type": "task", "id": task_id}),
        ("task.updated", {"type": "task", "id": task_id}),
        ("task.deleted", {"type": "task", "id": task_id}),
    ]


async def test_control_api_refuses_bad_task_changes(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """An unknown milestone, customer or task is a 400/404 with a message, and nothing changes."""
    task_id = next(iter(sandbox.state.todos))
    before = sandbox.state.todos[task_id]
    for body in (
        {"milestone_id": "nope"},
        {"customer": {"type": "company", "id": "nope"}},
        {"customer": {"type": "todo", "id": task_id}},
    ):
        response = await client.post(f"/_sandbox/tasks/{task_id}", json=body)
        assert response.status_code == 400 and response.json()["errors"][0]["title"]
    assert sandbox.state.todos[task_id] == before
    assert (await client.post("/_sandbox/tasks/nope", json={})).status_code == 404


async def test_tasks_answer_503_under_a_fault(api: Api, client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """Faults: `tasks.*` makes tasks.list and tasks.info answer 503; other endpoints are untouched."""
    task_id = next(iter(sandbox.state.todos))
    response = await client.post(
        "/_sandbox/faults", json={"endpoint": "tasks.*", "kind": "status", "status": 503}
    )
    assert response.status_code == 200
    assert (await api("tasks.list", {"filter": {"ids": [task_id]}})).status_code == 503
    assert (await api("tasks.info", {"id": task_id})).status_code == 503
    assert (await api("timeTracking.list", {})).status_code == 200
    await client.delete("/_sandbox/faults")
    await client.post(
        "/_sandbox/faults", json={"endpoint": "tasks.info", "kind": "status", "status": 503, "count": 1}
    )
    assert (await api("tasks.info", {"id": task_id})).status_code == 503
    assert (await api("tasks.list", {})).status_code == 200
    assert (await api("tasks.info", {"id": task_id})).status_code == 200


def test_default_seed_tracks_nothing_on_tasks() -> None:
    """`task_share` defaults to 0: tasks exist, but no entry is on one, so no lookup is needed."""
    state = build_state(SeedParams(seed=3, companies=10, contacts=10, entries=500), date(2026, 1, 1))
    assert state.todos
    assert not any(entry.subject and entry.subject[0] == "todo" for entry in state.entries.values())


def test_command_line_fault_on_every_task_endpoint() -> None:
    """`--fault 'tasks.*:status:503'` targets tasks.list and tasks.info, and nothing else."""
    rule = parse_fault_spec("tasks.*:status:503,probability=1")
    assert rule.matches("tasks.list") and rule.matches("tasks.info")
    assert not rule.matches("timeTracking.list") and not rule.matches("tasksX.list")
