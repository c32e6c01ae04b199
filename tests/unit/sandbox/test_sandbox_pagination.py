"""Contract tests: paging, end-of-list and the unpaginated departments trap, teamleader-api.md §2.4."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from connector.sandbox import Sandbox

Api = Callable[..., Awaitable[httpx.Response]]


async def test_default_page_is_twenty_rows(api: Api) -> None:
    """§2.4 Pagination: page defaults to size 20, number 1."""
    assert len((await api("timeTracking.list")).json()["data"]) == 20


async def test_page_size_above_100_is_refused_with_400(api: Api) -> None:
    """§2.4 Pagination: max size 100; the sandbox answers 400 above it (clamping is the other reading)."""
    assert len((await api("timeTracking.list", {"page": {"size": 100}})).json()["data"]) == 100
    refused = await api("timeTracking.list", {"page": {"size": 101}})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["status"] == 400
    assert (await api("timeTracking.list", {"page": {"size": 0}})).status_code == 400
    assert (await api("timeTracking.list", {"page": {"number": 0}})).status_code == 400


async def test_paging_to_a_short_page_returns_every_row_once(api: Api, sandbox: Sandbox) -> None:
    """§2.4 Pagination: stop when a page has fewer rows than size; pages do not overlap."""
    seen: list[str] = []
    number = 1
    while True:
        rows = (await api("companies.list", {"page": {"size": 5, "number": number}})).json()["data"]
        seen.extend(row["id"] for row in rows)
        if len(rows) < 5:
            break
        number += 1
    assert sorted(seen) == sorted(sandbox.state.companies)
    assert len(seen) == len(set(seen))


async def test_a_page_past_the_end_is_empty(api: Api) -> None:
    """§2.4 Pagination: an empty page ends the list."""
    assert (await api("companies.list", {"page": {"size": 100, "number": 50}})).json()["data"] == []


async def test_lists_carry_no_totals(api: Api) -> None:
    """§2.4 Pagination: no totals or meta on companies, contacts, time tracking or invoices."""
    for endpoint in ("companies.list", "contacts.list", "timeTracking.list", "invoices.list"):
        body = (await api(endpoint, {"includes": "pagination"})).json()
        assert set(body) == {"data"}


async def test_departments_ignore_the_page_and_always_return_page_one(api: Api) -> None:
    """§2.4 Pagination: departments.list is unpaginated; asking for page 2 returns page 1 again."""
    first = (await api("departments.list", {"page": {"size": 1, "number": 1}})).json()["data"]
    second = (await api("departments.list", {"page": {"size": 1, "number": 2}})).json()["data"]
    assert len(first) == 3
    assert first == second
