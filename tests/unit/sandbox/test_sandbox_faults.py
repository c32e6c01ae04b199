"""Contract tests: injected faults (error status, latency, dropped connection, applied-but-500).

Teamleader answers 5xx and the network drops connections (teamleader-api.md §2.2: clients retry
500/502/503 and connection errors); §3.6's exactly-once pattern must survive a draft that was
applied although the answer was an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from connector.sandbox import FaultRule, InvalidFault, Sandbox, parse_fault_spec

Api = Callable[..., Awaitable[httpx.Response]]


async def test_status_fault_with_a_count(api: Api, client: httpx.AsyncClient) -> None:
    """§2.2 Errors: a 503 for the next two calls of one endpoint, other endpoints untouched."""
    await client.post(
        "/_sandbox/faults", json={"endpoint": "companies.list", "kind": "status", "status": 503, "count": 2}
    )
    statuses = [(await api("companies.list")).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert (await api("users.me")).status_code == 200
    rules = (await client.get("/_sandbox/faults")).json()["rules"]
    assert rules[0]["fired"] == 2


async def test_probability_is_reproducible_with_a_seed(api: Api, client: httpx.AsyncClient) -> None:
    """§2.2 Errors: random failures, the same sequence for the same fault seed."""
    sequences = []
    for _ in range(2):
        await client.post(
            "/_sandbox/faults",
            json={
                "replace": True,
                "seed": 3,
                "rules": [{"endpoint": "*", "kind": "status", "probability": 0.5}],
            },
        )
        sequences.append([(await api("users.me")).status_code for _ in range(20)])
    assert sequences[0] == sequences[1]
    assert set(sequences[0]) == {200, 500}


async def test_applied_but_500_applies_the_write(
    api: Api, sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    """§3.6 Idempotency: a draft can exist although the call failed; find it by purchase_order_number."""
    await client.post(
        "/_sandbox/faults", json={"endpoint": "invoices.draft", "kind": "applied_500", "count": 1}
    )
    state = sandbox.state
    department_id = next(iter(state.departments))
    tax_rate_id = next(rate.id for rate in state.tax_rates.values() if rate.department_id == department_id)
    body = {
        "invoicee": {"customer": {"type": "company", "id": next(iter(state.companies))}},
        "department_id": department_id,
        "payment_term": {"type": "cash"},
        "purchase_order_number": "intent-1",
        "grouped_lines": [
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "description": "x",
                        "unit_price": {"amount": 5, "tax": "excluding"},
                        "tax_rate_id": tax_rate_id,
                    }
                ]
            }
        ],
    }
    assert (await api("invoices.draft", body)).status_code == 500
    found = (await api("invoices.list", {"filter": {"purchase_order_number": "intent-1"}})).json()["data"]
    assert len(found) == 1


async def test_dropped_connection_raises_a_protocol_error(api: Api, client: httpx.AsyncClient) -> None:
    """§2.2 Errors: a connection dropped without an answer (retry as a connection error)."""
    await client.post("/_sandbox/faults", json={"endpoint": "users.me", "kind": "drop", "count": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        await api("users.me")
    assert (await api("users.me")).status_code == 200


async def test_latency_delays_but_answers(api: Api, client: httpx.AsyncClient) -> None:
    """§2.2 Errors: slow answers still succeed (clients set their own timeouts)."""
    await client.post("/_sandbox/faults", json={"endpoint": "users.me", "kind": "latency", "latency": 0.01})
    assert (await api("users.me")).status_code == 200
    assert (await client.get("/_sandbox/faults")).json()["rules"][0]["fired"] == 1
    assert (await client.delete("/_sandbox/faults")).status_code == 204
    assert (await client.get("/_sandbox/faults")).json()["rules"] == []


def test_command_line_fault_specs() -> None:
    """The `--fault` form ENDPOINT:KIND[:VALUE][,probability=P][,count=N]."""
    rule = parse_fault_spec("timeTracking.list:status:503,probability=0.25,count=4")
    assert (rule.endpoint, rule.kind, rule.status, rule.probability, rule.count) == (
        "timeTracking.list",
        "status",
        503,
        0.25,
        4,
    )
    assert parse_fault_spec("*:latency:0.5").latency == 0.5
    for bad in ("users.me", "users.me:explode", "users.me:status:503,probability=2", "users.me:drop,often=1"):
        with pytest.raises(InvalidFault):
            parse_fault_spec(bad)


async def test_invalid_fault_via_control_api_is_400(client: httpx.AsyncClient) -> None:
    """Control API: a fault that cannot be used is refused with a message."""
    response = await client.post("/_sandbox/faults", json={"endpoint": "users.me", "kind": "explode"})
    assert response.status_code == 400
    assert "explode" in response.json()["errors"][0]["title"]
    assert FaultRule("users.me", "drop").matches("users.me")
