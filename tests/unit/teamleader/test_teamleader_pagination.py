"""Pagination: pages of 100 until a short or empty one, unpaged endpoints, repeated pages."""

from __future__ import annotations

import json
from typing import Any

import httpx

from connector.teamleader import TeamleaderClient

from .conftest import FakeTeamleader


def paged(total: int) -> Any:
    rows = [{"id": f"wt-{i}", "name": f"Work {i}"} for i in range(total)]

    def handler(request: httpx.Request) -> httpx.Response:
        page = json.loads(request.content)["page"]
        start = (page["number"] - 1) * page["size"]
        return httpx.Response(200, json={"data": rows[start : start + page["size"]]})

    return handler


def test_several_pages_end_on_the_short_last_page(client: TeamleaderClient, fake: FakeTeamleader) -> None:
    route = fake.api("workTypes.list").mock(side_effect=paged(250))
    names = [wt.id for wt in client.work_types()]
    assert names == [f"wt-{i}" for i in range(250)]
    assert [json.loads(c.request.content)["page"] for c in route.calls] == [
        {"size": 100, "number": 1},
        {"size": 100, "number": 2},
        {"size": 100, "number": 3},
    ]


def test_a_full_last_page_ends_on_the_empty_page_after_it(
    client: TeamleaderClient, fake: FakeTeamleader
) -> None:
    route = fake.api("workTypes.list").mock(side_effect=paged(200))
    assert len(list(client.work_types())) == 200
    assert route.call_count == 3


def test_pages_are_fetched_only_as_they_are_consumed(client: TeamleaderClient, fake: FakeTeamleader) -> None:
    route = fake.api("workTypes.list").mock(side_effect=paged(250))
    next(iter(client.work_types()))
    assert route.call_count == 1


def test_an_endpoint_that_ignores_paging_is_read_once(client: TeamleaderClient, fake: FakeTeamleader) -> None:
    rows = [{"id": f"u-{i}"} for i in range(100)]
    route = fake.api("users.list").respond(200, json={"data": rows})
    assert len(list(client.users())) == 100
    assert route.call_count == 2


def test_unpaged_endpoints_are_called_once_without_page(
    client: TeamleaderClient, fake: FakeTeamleader
) -> None:
    departments = [{"id": f"d-{i}", "name": f"Dept {i}", "currency": "EUR"} for i in range(150)]
    route = fake.api("departments.list").respond(200, json={"data": departments})
    assert len(client.departments()) == 150
    assert route.call_count == 1
    assert "page" not in json.loads(route.calls.last.request.content)
