"""End-to-end: tasks in a sandbox process started with `--task-share`, over a real socket (issue 16)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    command = [sys.executable, "-m", "connector.sandbox", "--port", "0", "--entries", "400"]
    process = subprocess.Popen(
        [*command, "--task-share", "0.1", "--rate-limit", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().rsplit(" ", 1)[-1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_tasks_of_a_seeded_process_are_listed_moved_and_faulted(sandbox_url: str) -> None:
    """`--task-share 0.1`: 40 of 400 entries on `todo` subjects; tasks.list by ids names their
    customers (also in the deprecated GET form); a control-API move shows at once; a `tasks.*`
    fault answers 503."""
    with httpx.Client(base_url=sandbox_url, timeout=10) as http:
        state = http.get("/_sandbox/state").json()
        assert state["seed"]["task_share"] == 0.1
        on_tasks = [e for e in state["time_entries"] if (e["subject"] or {}).get("type") == "todo"]
        assert len(on_tasks) == 40
        token = http.post("/_sandbox/tokens").json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        ids = sorted({entry["subject"]["id"] for entry in on_tasks})
        listed = http.post(
            "/tasks.list", json={"filter": {"ids": ids}, "page": {"size": 100}}, headers=headers
        )
        assert listed.status_code == 200
        rows = {row["id"]: row for row in listed.json()["data"]}
        assert set(rows) == set(ids)
        todos = {todo["id"]: todo for todo in state["todos"]}
        assert all(rows[task_id]["customer"] == todos[task_id]["customer"] for task_id in ids)

        query = "&".join(f"filter[ids][]={task_id}" for task_id in ids) + "&page[size]=100"
        by_get = http.get(f"/tasks.list?{query}", headers=headers)
        assert by_get.status_code == 200 and by_get.json() == listed.json()

        milestone = state["milestones"][0]
        moved = http.post(
            f"/_sandbox/tasks/{ids[0]}", json={"milestone_id": milestone["id"], "customer": None}
        )
        assert moved.status_code == 204
        info = http.post("/tasks.info", json={"id": ids[0]}, headers=headers).json()["data"]
        assert info["milestone"] == {"type": "milestone", "id": milestone["id"]}
        assert info["customer"] is None

        http.post("/_sandbox/faults", json={"endpoint": "tasks.*", "kind": "status", "status": 503})
        assert http.post("/tasks.info", json={"id": ids[0]}, headers=headers).status_code == 503
        assert http.post("/tasks.list", json={}, headers=headers).status_code == 503
