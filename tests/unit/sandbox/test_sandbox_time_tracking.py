"""Contract tests: timeTracking.list/info filters, includes and field shapes, teamleader-api.md §3.3."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx

from connector.sandbox import Sandbox

Api = Callable[..., Awaitable[httpx.Response]]


async def _all(api: Api, body: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    number = 1
    while True:
        page = (await api("timeTracking.list", {**body, "page": {"size": 100, "number": number}})).json()[
            "data"
        ]
        rows.extend(page)
        if len(page) < 100:
            return rows
        number += 1


async def _add_entry(client: httpx.AsyncClient, sandbox: Sandbox, **fields: Any) -> str:
    company_id = next(iter(sandbox.state.companies))
    body = {"subject": {"type": "company", "id": company_id}, **fields}
    response = await client.post("/_sandbox/time-entries", json=body)
    assert response.status_code == 201
    entry_id: str = response.json()["data"]["id"]
    return entry_id


async def test_datetime_filters_are_inclusive(api: Api, client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """§3.3 Filters: started_after/before and ended_after/before include their bounds."""
    entry_id = await _add_entry(client, sandbox, started_at="2030-01-01T10:00:00+00:00", duration=3600)
    bounds = {
        "started_after": "2030-01-01T10:00:00+00:00",
        "started_before": "2030-01-01T10:00:00+00:00",
        "ended_after": "2030-01-01T11:00:00+00:00",
        "ended_before": "2030-01-01T11:00:00+00:00",
    }
    for name, value in bounds.items():
        ids = [row["id"] for row in await _all(api, {"filter": {name: value}})]
        assert entry_id in ids, name
    just_after = await _all(api, {"filter": {"started_after": "2030-01-01T10:00:01+00:00"}})
    assert entry_id not in [row["id"] for row in just_after]


async def test_updated_since_is_silently_ignored(api: Api, sandbox: Sandbox) -> None:
    """§3.3 Filters / §5.1: updated_since does not exist here and returns the whole table."""
    rows = await _all(api, {"filter": {"updated_since": "2099-01-01T00:00:00+00:00"}})
    assert len(rows) == len(sandbox.state.entries)


async def test_bare_dates_in_datetime_filters_are_refused(api: Api) -> None:
    """§2.5 Datetimes: time-tracking filters need full datetimes with offset."""
    response = await api("timeTracking.list", {"filter": {"started_after": "2026-01-01"}})
    assert response.status_code == 400


async def test_user_subject_and_subject_type_filters(api: Api, sandbox: Sandbox) -> None:
    """§3.3 Filters: user_id, subject {type,id} and subject_types (null = no subject)."""
    state = sandbox.state
    user_id = state.current_user_id
    by_user = await _all(api, {"filter": {"user_id": user_id}})
    assert by_user and all(row["user"]["id"] == user_id for row in by_user)
    assert len(by_user) == sum(1 for entry in state.entries.values() if entry.user_id == user_id)
    milestones = await _all(api, {"filter": {"subject_types": ["milestone", "ticket"]}})
    assert milestones and {row["subject"]["type"] for row in milestones} == {"milestone", "ticket"}
    subject = milestones[0]["subject"]
    on_subject = await _all(api, {"filter": {"subject": subject}})
    assert on_subject and all(row["subject"] == subject for row in on_subject)
    assert await _all(api, {"filter": {"subject_types": [None]}}) == []


async def test_relates_to_finds_time_on_a_project_through_its_milestones(api: Api, sandbox: Sandbox) -> None:
    """§3.3 Filters: relates_to finds time linked directly and indirectly to a project."""
    state = sandbox.state
    project = next(project for project in state.projects.values() if project.milestone_ids)
    expected = {entry.id for entry in state.entries.values() if ("project", project.id) in entry.relates_to}
    rows = await _all(api, {"filter": {"relates_to": {"type": "project", "id": project.id}}})
    assert expected and {row["id"] for row in rows} == expected
    assert any(row["subject"]["type"] == "milestone" for row in rows)


async def test_includes_relates_to_names_the_customer(api: Api, sandbox: Sandbox) -> None:
    """§3.3 Customer: without a customer field, includes=relates_to carries the company/contact."""
    rows = await _all(api, {"filter": {"subject_types": ["milestone", "ticket"]}, "includes": "relates_to"})
    assert rows
    for row in rows:
        kinds = {relation["type"] for relation in row["relates_to"]}
        assert kinds & {"company", "contact"}
    plain = (await api("timeTracking.list", {"include": "relates_to"})).json()["data"]
    assert all("relates_to" not in row for row in plain)


async def test_sort_is_starts_on_only(api: Api) -> None:
    """§3.3 Sort: only starts_on (asc by default, desc on request); other fields are ignored."""
    ascending = (await api("timeTracking.list", {"page": {"size": 50}})).json()["data"]
    starts = [row["started_at"] for row in ascending]
    assert starts == sorted(starts)
    descending = (await api("timeTracking.list", {"sort": [{"field": "starts_on", "order": "desc"}]})).json()
    starts_desc = [row["started_at"] for row in descending["data"]]
    assert starts_desc == sorted(starts_desc, reverse=True)
    ignored = await api(
        "timeTracking.list", {"sort": [{"field": "started_at", "order": "desc"}], "page": {"size": 50}}
    )
    assert [row["started_at"] for row in ignored.json()["data"]] == starts


async def test_entry_fields_have_the_documented_shapes(api: Api) -> None:
    """§3.3 List fields and §2.5 Datetimes: seconds, offsets without microseconds, money objects."""
    rows = await _all(api, {})
    for row in rows:
        started = datetime.fromisoformat(row["started_at"])
        assert started.tzinfo is not None and "." not in row["started_at"]
        assert (datetime.fromisoformat(row["ended_at"]) - started).total_seconds() == row["duration"]
        assert row["started_on"] == row["started_at"][:10]
        assert isinstance(row["invoiceable"], bool)
    kinds = {row["billing_info"]["type"] if row["billing_info"] else None for row in rows}
    assert kinds == {None, "invoice", "prepaid"}
    rated = [row for row in rows if "hourly_rate" in row]
    assert rated and all(set(row["hourly_rate"]) == {"amount", "currency"} for row in rated)
    assert len(rated) < len(rows)
    assert any(not row["invoiceable"] for row in rows)


async def test_info_adds_locked_and_unknown_ids_are_404(api: Api, sandbox: Sandbox) -> None:
    """§3.3 Info adds: locked (in data) and meta.updatable (top level, as in the spec); an unknown
    id is not found."""
    entry_id = next(iter(sandbox.state.entries))
    answer = (await api("timeTracking.info", {"id": entry_id, "includes": "relates_to"})).json()
    info = answer["data"]
    assert info["id"] == entry_id
    assert info["locked"] is False and answer["meta"] == {"updatable": True}
    assert "meta" not in info
    assert "relates_to" in info
    assert (await api("timeTracking.info", {"id": "missing"})).status_code == 404


async def test_ids_filter_returns_exactly_those_entries(api: Api, sandbox: Sandbox) -> None:
    """§3.3 Filters: ids[]; Teamleader's advice is list+ids over many info calls (§2.3)."""
    wanted = list(sandbox.state.entries)[:3]
    rows = (await api("timeTracking.list", {"filter": {"ids": wanted}})).json()["data"]
    assert sorted(row["id"] for row in rows) == sorted(wanted)
