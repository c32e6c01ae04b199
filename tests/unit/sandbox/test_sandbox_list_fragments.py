"""List pages are served from JSON kept per record: they must follow every change to a record."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from connector.sandbox import Sandbox

Api = Callable[..., Awaitable[httpx.Response]]

FIRST_PAGE = {"page": {"size": 100}}


async def _rows(api: Api, endpoint: str, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = await api(endpoint, body)
    assert response.status_code == 200, response.text
    return {row["id"]: row for row in response.json()["data"]}


async def test_a_listed_entry_shows_changes_made_after_it_was_listed(
    api: Api, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    with_relations = {**FIRST_PAGE, "includes": "relates_to"}
    entry_id = next(iter(await _rows(api, "timeTracking.list", FIRST_PAGE)))
    await _rows(api, "timeTracking.list", with_relations)
    company_id = next(iter(sandbox.state.companies))
    changed = await client.post(
        f"/_sandbox/time-entries/{entry_id}",
        json={
            "description": "Rewritten",
            "hourly_rate": "101.50",
            "subject": {"type": "company", "id": company_id},
        },
    )
    assert changed.status_code == 204

    plain = (await _rows(api, "timeTracking.list", FIRST_PAGE))[entry_id]
    related = (await _rows(api, "timeTracking.list", with_relations))[entry_id]
    assert plain["description"] == related["description"] == "Rewritten"
    assert "relates_to" not in plain
    assert related["relates_to"] == [{"type": "company", "id": company_id}]
    raw = (await api("timeTracking.list", FIRST_PAGE)).content
    assert b'"hourly_rate":{"amount":101.50,"currency":"EUR"}' in raw

    assert (await client.delete(f"/_sandbox/time-entries/{entry_id}")).status_code == 204
    assert entry_id not in await _rows(api, "timeTracking.list", FIRST_PAGE)
    assert entry_id not in await _rows(api, "timeTracking.list", with_relations)


async def test_a_listed_row_is_the_info_answer_without_its_detail_fields(api: Api) -> None:
    body = {**FIRST_PAGE, "includes": "relates_to,materials"}
    for _ in range(2):
        rows = await _rows(api, "timeTracking.list", body)
    for entry_id, row in list(rows.items())[:10]:
        info = (await api("timeTracking.info", {"id": entry_id, "includes": "relates_to,materials"})).json()
        detail = info["data"]
        assert {key: value for key, value in detail.items() if key not in ("locked", "meta")} == row


async def test_listed_companies_and_contacts_show_later_changes(
    api: Api, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    company_id = next(iter(await _rows(api, "companies.list", FIRST_PAGE)))
    contact_id = next(iter(await _rows(api, "contacts.list", FIRST_PAGE)))
    assert (await api("companies.update", {"id": company_id, "name": "Renamed NV"})).status_code == 204
    changed = await client.post(f"/_sandbox/contacts/{contact_id}", json={"last_name": "Renamed"})
    assert changed.status_code == 204

    assert (await _rows(api, "companies.list", FIRST_PAGE))[company_id]["name"] == "Renamed NV"
    assert (await _rows(api, "contacts.list", FIRST_PAGE))[contact_id]["last_name"] == "Renamed"

    assert (await client.delete(f"/_sandbox/companies/{company_id}")).status_code == 204
    assert company_id not in await _rows(api, "companies.list", FIRST_PAGE)
