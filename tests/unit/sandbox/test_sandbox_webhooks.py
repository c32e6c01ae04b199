"""Contract tests: webhook registration and delivery, teamleader-api.md §4."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import httpx

from connector.sandbox import Sandbox

Api = Callable[..., Awaitable[httpx.Response]]

HOOK = "https://connector.example/webhooks/teamleader/secret-path"


async def test_register_list_unregister(api: Api) -> None:
    """§4.1 Management: register 204 without id; list {url, types} by url; unregister by types."""
    registered = await api(
        "webhooks.register", {"url": HOOK, "types": ["timeTracking.added", "company.updated"]}
    )
    assert registered.status_code == 204 and registered.content == b""
    await api("webhooks.register", {"url": "https://a.example/hook", "types": ["invoice.booked"]})
    listed = (await api("webhooks.list")).json()["data"]
    assert listed == [
        {"url": "https://a.example/hook", "types": ["invoice.booked"]},
        {"url": HOOK, "types": ["company.updated", "timeTracking.added"]},
    ]
    await api("webhooks.unregister", {"url": HOOK, "types": ["company.updated"]})
    await api("webhooks.unregister", {"url": "https://a.example/hook", "types": ["invoice.booked"]})
    assert (await api("webhooks.list")).json()["data"] == [{"url": HOOK, "types": ["timeTracking.added"]}]


async def test_event_types_outside_the_enum_are_refused(api: Api) -> None:
    """§4.2 Event types: there is no invoice.created or invoice.paid."""
    for event_type in ("invoice.created", "invoice.paid"):
        response = await api("webhooks.register", {"url": HOOK, "types": [event_type]})
        assert response.status_code == 400


async def test_control_changes_are_delivered_with_the_real_payload(
    api: Api, client: httpx.AsyncClient, sandbox: Sandbox, received: list[httpx.Request]
) -> None:
    """§4.3 Payload: {type, subject {type,id}, account {type,id}}, only for registered types."""
    await api("webhooks.register", {"url": HOOK, "types": ["timeTracking.added", "timeTracking.deleted"]})
    entry_id = (await client.post("/_sandbox/time-entries", json={})).json()["data"]["id"]
    await client.post(f"/_sandbox/time-entries/{entry_id}", json={"duration": 60})
    await client.delete(f"/_sandbox/time-entries/{entry_id}")
    assert sandbox.webhooks.wait_idle()
    payloads = [json.loads(request.content) for request in received]
    account = {"type": "account", "id": sandbox.state.account_id}
    assert payloads == [
        {
            "type": "timeTracking.added",
            "subject": {"type": "timeTracking", "id": entry_id},
            "account": account,
        },
        {
            "type": "timeTracking.deleted",
            "subject": {"type": "timeTracking", "id": entry_id},
            "account": account,
        },
    ]
    assert {str(request.url) for request in received} == {HOOK}


async def test_invoice_and_company_events(
    api: Api, client: httpx.AsyncClient, sandbox: Sandbox, received: list[httpx.Request]
) -> None:
    """§4.2 / §4.4: invoice.drafted/booked/paymentRegistered and company events, API writes included."""
    types = [
        "invoice.drafted",
        "invoice.booked",
        "invoice.paymentRegistered",
        "company.added",
        "company.deleted",
    ]
    await api("webhooks.register", {"url": HOOK, "types": types})
    state = sandbox.state
    department_id = next(iter(state.departments))
    tax_rate_id = next(rate.id for rate in state.tax_rates.values() if rate.department_id == department_id)
    draft = {
        "invoicee": {"customer": {"type": "company", "id": next(iter(state.companies))}},
        "department_id": department_id,
        "payment_term": {"type": "cash"},
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
    invoice_id = (await api("invoices.draft", draft)).json()["data"]["id"]
    await client.post(f"/_sandbox/invoices/{invoice_id}/book", json={"on": "2031-01-01"})
    await client.post(f"/_sandbox/invoices/{invoice_id}/pay", json={})
    company_id = (await client.post("/_sandbox/companies", json={"name": "New NV"})).json()["data"]["id"]
    await client.delete(f"/_sandbox/companies/{company_id}")
    assert sandbox.webhooks.wait_idle()
    seen = [
        (payload["type"], payload["subject"]["id"])
        for payload in map(lambda r: json.loads(r.content), received)
    ]
    assert seen == [
        ("invoice.drafted", invoice_id),
        ("invoice.booked", invoice_id),
        ("invoice.paymentRegistered", invoice_id),
        ("company.added", company_id),
        ("company.deleted", company_id),
    ]


async def test_dropped_deliveries_never_arrive_but_are_logged(
    api: Api, client: httpx.AsyncClient, sandbox: Sandbox, received: list[httpx.Request]
) -> None:
    """§4.4 Retries: missed deliveries are invisible to the receiver; the log shows them."""
    await api("webhooks.register", {"url": HOOK, "types": ["timeTracking.added"]})
    await client.post("/_sandbox/settings", json={"webhook_drop_probability": 1.0})
    await client.post("/_sandbox/time-entries", json={})
    waited = await client.post("/_sandbox/webhooks/wait", json={"timeout": 5})
    assert waited.json()["idle"] is True
    assert received == []
    log = (await client.get("/_sandbox/webhooks/deliveries")).json()["deliveries"]
    assert [item["outcome"] for item in log] == ["dropped"]
