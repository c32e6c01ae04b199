"""`tasks.list` and `tasks.info`: the tasks that time is tracked on as `todo` subjects.

A time entry on a task carries no customer, and its `relates_to` names neither the task nor the
task's customer (issue 16), so a client looks the task up: one by one with `tasks.info`, or up to
100 at a time with `tasks.list` and `filter.ids`. Both show `customer`, `project` and `milestone`,
each `{type, id}` or null. Filters: `ids`, `user_id` (the assignee), `milestone_id`, `customer`
and `completed`; the spec's other filters (`scheduled`, `due_by`, `due_from`, `term`) are
ignored, and there are no totals (teamleader-api.md §2.4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connector.sandbox import render
from connector.sandbox.errors import ApiError
from connector.sandbox.listing import Reply, filters, paginate, required_id
from connector.sandbox.model import Todo

if TYPE_CHECKING:
    from connector.sandbox.core import Sandbox

__all__ = ["HANDLERS"]

Handler = Callable[["Sandbox", dict[str, Any]], Reply]


def _keep(wanted: dict[str, Any]) -> Callable[[Todo], bool]:
    ids = set(wanted["ids"]) if isinstance(wanted.get("ids"), list) else None
    has_user = "user_id" in wanted
    user_id = wanted.get("user_id")
    milestone_id = wanted.get("milestone_id")
    raw_customer = wanted.get("customer")
    customer = (raw_customer["type"], raw_customer["id"]) if isinstance(raw_customer, dict) else None
    completed = wanted.get("completed")

    def keep(task: Todo) -> bool:
        return (
            (ids is None or task.id in ids)
            and (not has_user or task.assignee_id == user_id)
            and (milestone_id is None or task.milestone_id == milestone_id)
            and (customer is None or task.customer == customer)
            and (completed is None or completed is False)
        )

    return keep


def tasks_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    keep = _keep(filters(body))
    rows = paginate((task for task in sandbox.state.todos.values() if keep(task)), body)
    data = sandbox.state.task_json.rows(rows, "list", lambda task: render.todo(task, detail=False))
    return 200, {"data": data}


def tasks_info(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    task_id = required_id(body)
    task = sandbox.state.todos.get(task_id)
    if task is None:
        raise ApiError(404, f"Task {task_id} not found")
    return 200, {"data": render.todo(task, detail=True)}


HANDLERS: dict[str, Handler] = {
    "tasks.list": tasks_list,
    "tasks.info": tasks_info,
}
