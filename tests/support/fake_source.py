"""A test-only Teamleader source for the sync: time entries on tasks, tickets and milestones.

It answers the operations the sync sends (`timeTracking.list` paged, the reference lists empty,
`tasks.list`/`tickets.list`/`milestones.list` by `filter.ids`, `projects.info`), counts calls per
operation, can fail an operation with a 503 (as the client raises it after its retries), and
counts the calls made while a transaction of the watched engine was open: the sync must never
call the API inside a transaction. With a clock, `slow` operations move it (a slow Teamleader).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, event

from connector.teamleader.errors import NotFound, ServerError
from support.clock import PinnedClock

__all__ = ["FakeSource", "entry"]

_LISTS = {"tasks.list": "todo", "tickets.list": "ticket", "milestones.list": "milestone"}


def entry(entry_id: str, subject: tuple[str, str] | None, *, day: str = "2026-11-02") -> dict[str, Any]:
    """A `timeTracking.list` row of one hour on `subject`, without a customer in `relates_to`."""
    return {
        "id": entry_id,
        "user": {"type": "user", "id": "u-1"},
        "work_type": {"type": "workType", "id": "w-1"},
        "started_on": day,
        "started_at": f"{day}T09:00:00+00:00",
        "ended_at": f"{day}T10:00:00+00:00",
        "duration": 3600,
        "description": f"work {entry_id}",
        "subject": {"type": subject[0], "id": subject[1]} if subject else None,
        "invoiceable": True,
        "billing_info": None,
        "relates_to": [],
    }


class FakeSource:
    """Serves `entries` and the subjects in `records` ((kind, id) -> payload); see the module."""

    def __init__(self, engine: Engine | None = None, clock: PinnedClock | None = None) -> None:
        self.clock = clock
        self.slow: dict[str, float] = {}
        self._open: set[int] = set()
        if engine is not None:
            event.listen(engine, "begin", self._began)
            event.listen(engine, "commit", self._ended)
            event.listen(engine, "rollback", self._ended)
        self.entries: list[dict[str, Any]] = []
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        self.failing: set[str] = set()
        self.calls: Counter[str] = Counter()
        self.bodies: list[tuple[str, Any]] = []
        self.deadlines: list[float | None] = []
        self.calls_in_transaction = 0

    def task(self, task_id: str, customer: tuple[str, str] | None) -> None:
        self.records[("todo", task_id)] = {"id": task_id, "customer": _ref(customer)}

    def ticket(self, ticket_id: str, customer: tuple[str, str] | None) -> None:
        self.records[("ticket", ticket_id)] = {"id": ticket_id, "customer": _ref(customer)}

    def milestone(self, milestone_id: str, project_id: str | None) -> None:
        project = {"type": "project", "id": project_id} if project_id else None
        self.records[("milestone", milestone_id)] = {"id": milestone_id, "project": project}

    def project(self, project_id: str, customer: tuple[str, str] | None) -> None:
        self.records[("project", project_id)] = {"id": project_id, "customer": _ref(customer)}

    def _began(self, conn: Connection) -> None:
        self._open.add(id(conn))

    def _ended(self, conn: Connection) -> None:
        self._open.discard(id(conn))

    @property
    def api_calls(self) -> int:
        return sum(self.calls.values())

    def call(
        self, endpoint: str, body: Mapping[str, Any] | None = None, *, deadline: float | None = None
    ) -> Any:
        self.calls[endpoint] += 1
        self.bodies.append((endpoint, body))
        self.deadlines.append(deadline)
        if self._open:
            self.calls_in_transaction += 1
        if self.clock is not None and endpoint in self.slow:
            self.clock.advance(seconds=self.slow[endpoint])
        if endpoint in self.failing:
            raise ServerError(endpoint, 503, "Service unavailable (injected)")
        body = body or {}
        if endpoint == "timeTracking.list":
            page = body.get("page") or {"size": 100, "number": 1}
            start = (page["number"] - 1) * page["size"]
            wanted = body.get("filter") or {}
            ids, after = wanted.get("ids"), str(wanted.get("started_after") or "")[:10]
            rows = [e for e in self.entries if (ids is None or e["id"] in ids) and e["started_on"] >= after]
            return {"data": rows[start : start + page["size"]]}
        if endpoint in _LISTS:
            kind, ids = _LISTS[endpoint], body["filter"]["ids"]
            assert len(ids) <= 100, "filter.ids takes at most 100 ids"
            return {"data": [self.records[(kind, i)] for i in ids if (kind, i) in self.records]}
        if endpoint == "projects.info":
            found = self.records.get(("project", body["id"]))
            if found is None:
                raise NotFound(endpoint, 404, "Project not found")
            return {"data": found}
        if endpoint == "departments.list" or endpoint.endswith(".list"):
            return {"data": []}
        raise AssertionError(f"unexpected call {endpoint}")


def _ref(customer: tuple[str, str] | None) -> dict[str, str] | None:
    return {"type": customer[0], "id": customer[1]} if customer else None
