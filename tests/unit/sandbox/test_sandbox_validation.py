"""Contract tests: error shapes and request validation, teamleader-api.md §2.2 and §2.5."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from connector.sandbox.specgen import SUBSET_PATH, build_subset, load_spec, render_subset

Api = Callable[..., Awaitable[httpx.Response]]

SPEC = Path(__file__).resolve().parents[2] / "data" / "teamleader-openapi.yaml"
"""The official Teamleader Focus spec (public), shipped with the tests so the contract check always runs."""


async def test_invalid_values_get_400_with_an_errors_array(api: Api) -> None:
    """§2.2 Errors: body {"errors": [{"title", "status"}]}; wrong type or enum value is 400."""
    for body in (
        {"filter": {"ids": "not-a-list"}},
        {"filter": {"subject_types": ["project"]}},
        {"filter": {"subject": {"type": "company"}}},
    ):
        response = await api("timeTracking.list", body)
        assert response.status_code == 400, body
        errors = response.json()["errors"]
        assert errors[0]["status"] == 400 and errors[0]["title"]


async def test_unknown_body_keys_are_ignored(api: Api) -> None:
    """§2.5 Filters: unknown keys are silently ignored with 200."""
    assert (await api("users.me", {"surprise": True})).status_code == 200


async def test_unknown_endpoint_and_bad_json(api: Api, client: httpx.AsyncClient, token: str) -> None:
    """§2.2 Errors: 404 for what does not exist; a body that is not JSON is 400."""
    assert (await api("nothing.here")).status_code == 404
    bad = await client.post(
        "/users.me",
        content=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert bad.status_code == 400


async def test_get_is_refused_outside_list_and_info(client: httpx.AsyncClient, token: str) -> None:
    """§2.1 Transport: POST with a JSON body; the deprecated GET form exists only for .list/.info."""
    for endpoint in ("users.me", "invoices.draft", "companies.update"):
        response = await client.get(f"/{endpoint}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 405, endpoint
        assert ".list and .info" in response.json()["errors"][0]["title"]


def test_committed_schema_subset_matches_the_official_spec() -> None:
    """OAS (§6): the sandbox validates against a subset that must equal a fresh extraction."""
    assert SUBSET_PATH.read_text(encoding="utf-8") == render_subset(build_subset(load_spec(SPEC)))
