"""Contract tests: the control API and deterministic seed data (issue 4: control API, seed data)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import httpx

from connector.sandbox import Sandbox, SandboxConfig, SeedParams
from connector.sandbox.seed import build_state

Api = Callable[..., Awaitable[httpx.Response]]


def test_same_seed_same_agency() -> None:
    """Seed data is deterministic: the same parameters give the same ids and values, whatever the
    day the state is built on (an anchor fixes the data's dates)."""
    params = SeedParams(seed=11, companies=5, contacts=5, entries=200, months=2, anchor=date(2026, 1, 31))
    first, second = build_state(params, date(2030, 1, 1)), build_state(params, date(2031, 1, 1))
    assert list(first.entries) == list(second.entries)
    assert [entry.duration for entry in first.entries.values()] == [
        entry.duration for entry in second.entries.values()
    ]
    assert list(build_state(SeedParams(seed=12, entries=10), date(2030, 1, 1)).companies) != list(
        first.companies
    )


def test_seed_looks_like_an_agency(sandbox: Sandbox) -> None:
    """§3.3-§3.4: rates per user (one without), 3 departments x 21/6/0 %, varied subjects and billing."""
    state = sandbox.state
    assert len(state.departments) == 3
    assert (
        sorted(str(rate.rate) for rate in state.tax_rates.values())
        == ["0.00"] * 3 + ["0.06"] * 3 + ["0.21"] * 3
    )
    assert any(user.hourly_rate is None for user in state.users.values())
    entries = list(state.entries.values())
    assert {entry.subject[0] for entry in entries if entry.subject} == {
        "company",
        "contact",
        "milestone",
        "ticket",
        "todo",
    }
    assert {entry.billing_type for entry in entries} == {None, "invoice", "prepaid"}
    assert any(not entry.invoiceable for entry in entries)
    assert len({entry.duration for entry in entries}) > 5
    assert any(contact.company_ids for contact in state.contacts.values())
    anchor = sandbox.seed_params.anchor
    assert anchor is not None
    assert all(entry.started_at.date() <= anchor for entry in entries)


async def test_seed_and_reset(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """Control API: seed replaces the data with the given size; reset restores the start-up seed."""
    seeded = await client.post(
        "/_sandbox/seed", json={"seed": 3, "companies": 2, "contacts": 1, "entries": 50}
    )
    assert seeded.json()["entries"] == 50
    assert len(sandbox.state.companies) == 2
    await client.post("/_sandbox/reset")
    assert len(sandbox.state.entries) == 600


async def test_full_state_has_invoices_with_lines(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """Control API: the full state includes invoices with lines, entries with relates_to, user rates."""
    state = (await client.get("/_sandbox/state")).json()
    assert len(state["time_entries"]) == len(sandbox.state.entries)
    assert all("relates_to" in entry for entry in state["time_entries"])
    assert state["invoices"] and all(invoice["grouped_lines"] for invoice in state["invoices"])
    assert any(user["hourly_rate"] is None for user in state["users"])
    light = (await client.get("/_sandbox/state", params={"entries": "0"})).json()
    assert "time_entries" not in light and light["entry_count"] == len(sandbox.state.entries)


async def test_request_counts_per_endpoint(api: Api, client: httpx.AsyncClient) -> None:
    """Control API: requests are counted per endpoint, failures included."""
    await api("users.me")
    await api("users.me")
    await api("companies.list", {"page": {"size": 500}})
    counts = (await client.get("/_sandbox/requests")).json()["counts"]
    assert counts["users.me"] == 2 and counts["companies.list"] == 1
    await client.delete("/_sandbox/requests")
    assert (await client.get("/_sandbox/requests")).json()["counts"] == {}


async def test_control_edits_show_up_in_the_api(
    api: Api, client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """Control API: edits "in Teamleader" are what the API then returns; bad references are 400."""
    milestone_id = next(iter(sandbox.state.milestones))
    created = await client.post(
        "/_sandbox/time-entries",
        json={"subject": {"type": "milestone", "id": milestone_id}, "duration": 900, "invoiceable": False},
    )
    entry_id = created.json()["data"]["id"]
    info = (await api("timeTracking.info", {"id": entry_id, "includes": "relates_to"})).json()["data"]
    assert info["duration"] == 900 and info["invoiceable"] is False
    assert {"type": "milestone", "id": milestone_id} in info["relates_to"]
    await client.post(
        f"/_sandbox/time-entries/{entry_id}", json={"billing_info": {"type": "prepaid", "invoice": None}}
    )
    info = (await api("timeTracking.info", {"id": entry_id})).json()["data"]
    assert info["billing_info"] == {"type": "prepaid", "invoice": None}
    bad = await client.post("/_sandbox/time-entries", json={"subject": {"type": "company", "id": "missing"}})
    assert bad.status_code == 400
    assert (await client.get("/_sandbox/nothing")).status_code == 404


def test_sandbox_config_defaults() -> None:
    """§1.1: default credentials sandbox-client / sandbox-secret and a one-hour token lifetime."""
    config = SandboxConfig()
    assert (config.client_id, config.client_secret) == ("sandbox-client", "sandbox-secret")
    assert config.settings.access_token_lifetime == 3600 and config.settings.rate_limit == 200
