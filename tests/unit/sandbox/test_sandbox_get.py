"""Contract tests: the deprecated GET form of `.list`/`.info` (teamleader-api.md §2.1; issue 16).

GET with bracketed query parameters answers exactly what POST with the same JSON body answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from connector.sandbox import Sandbox

Api = Callable[..., Awaitable[httpx.Response]]


async def _get(client: httpx.AsyncClient, token: str, path: str) -> httpx.Response:
    return await client.get(path, headers={"Authorization": f"Bearer {token}"})


async def _same(api: Api, client: httpx.AsyncClient, token: str, path: str, body: dict[str, Any]) -> Any:
    by_get = await _get(client, token, path)
    by_post = await api(path[1:].split("?")[0], body)
    assert by_get.status_code == by_post.status_code == 200, by_get.text
    assert by_get.json() == by_post.json()
    return by_get.json()


async def test_list_by_get_equals_post(api: Api, client: httpx.AsyncClient, token: str) -> None:
    """Paging and sorting as `page[size]`, `page[number]`, `sort[0][field]`: numbers become numbers."""
    answer = await _same(
        api,
        client,
        token,
        "/companies.list?page[size]=5&page[number]=2&sort[0][field]=name&sort[0][order]=desc",
        {"page": {"size": 5, "number": 2}, "sort": [{"field": "name", "order": "desc"}]},
    )
    assert len(answer["data"]) == 5


async def test_arrays_and_datetimes_by_get(
    api: Api, client: httpx.AsyncClient, token: str, sandbox: Sandbox
) -> None:
    """`filter[ids][]=a&filter[ids][]=b` (or `[0]`, `[1]`) is an array; an encoded `+` is an offset."""
    tasks = list(sandbox.state.todos)[:2]
    query = f"filter[ids][]={tasks[0]}&filter[ids][]={tasks[1]}"
    answer = await _same(api, client, token, f"/tasks.list?{query}", {"filter": {"ids": tasks}})
    assert {row["id"] for row in answer["data"]} == set(tasks)
    entries = list(sandbox.state.entries)[:2]
    indexed = f"filter[ids][1]={entries[1]}&filter[ids][0]={entries[0]}&includes=relates_to"
    await _same(
        api,
        client,
        token,
        f"/timeTracking.list?{indexed}",
        {"filter": {"ids": entries}, "includes": "relates_to"},
    )
    window = "filter[started_after]=2026-02-01T00:00:00%2B00:00&page[size]=100"
    await _same(
        api,
        client,
        token,
        f"/timeTracking.list?{window}",
        {"filter": {"started_after": "2026-02-01T00:00:00+00:00"}, "page": {"size": 100}},
    )


async def test_info_by_get_equals_post(
    api: Api, client: httpx.AsyncClient, token: str, sandbox: Sandbox
) -> None:
    """`GET /timeTracking.info?id=…` answers the entry with its top-level meta, as POST does."""
    entry_id = next(iter(sandbox.state.entries))
    answer = await _same(api, client, token, f"/timeTracking.info?id={entry_id}", {"id": entry_id})
    assert answer["meta"] == {"updatable": True}
    assert (await _get(client, token, "/timeTracking.info")).status_code == 400


async def test_bad_get_queries_are_400(client: httpx.AsyncClient, token: str) -> None:
    """What a JSON body could not say is refused: a bad number, an unencoded `+`, a broken key."""
    for path in (
        "/companies.list?page[size]=many",
        "/companies.list?page[size]=1000",
        "/timeTracking.list?filter[started_after]=2026-02-01T00:00:00+00:00",
        "/companies.list?page=1&page[size]=5",
        "/companies.list?filter[ids]=not-a-list",
        "/companies.list?[x]=1",
    ):
        response = await _get(client, token, path)
        assert response.status_code == 400, path
        assert response.json()["errors"][0]["title"]


async def test_get_needs_a_token_and_counts(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """GET goes through the same door as POST: bearer token, request counts, rate limit."""
    assert (await client.get("/companies.list")).status_code == 401
    assert sandbox.request_counts["companies.list"] == 1
