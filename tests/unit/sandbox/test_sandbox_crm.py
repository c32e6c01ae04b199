"""Contract tests: users, reference data, companies and contacts, teamleader-api.md §1.4, §3.1-§3.4."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

import httpx

from connector.sandbox import Sandbox

Api = Callable[..., Awaitable[httpx.Response]]


async def test_users_me_names_the_account(api: Api, sandbox: Sandbox) -> None:
    """§1.4 Identity: users.me carries data.account.id, the tenant key also in webhooks."""
    data = (await api("users.me")).json()["data"]
    assert data["account"] == {"type": "account", "id": sandbox.state.account_id}
    assert data["time_zone"] == "Europe/Brussels"


async def test_reference_data_lists(api: Api, sandbox: Sandbox) -> None:
    """§3.4 Reference data: users, work types, tax rates per department, payment terms with a default."""
    users = (await api("users.list", {"page": {"size": 100}})).json()["data"]
    assert len(users) == len(sandbox.state.users)
    assert len((await api("workTypes.list")).json()["data"]) == len(sandbox.state.work_types)
    departments = (await api("departments.list")).json()["data"]
    department_id = departments[0]["id"]
    rates = (await api("taxRates.list", {"filter": {"department_id": department_id}})).json()["data"]
    assert sorted(Decimal(str(rate["rate"])) for rate in rates) == [
        Decimal("0"),
        Decimal("0.06"),
        Decimal("0.21"),
    ]
    assert all(rate["department"]["id"] == department_id for rate in rates)
    terms = (await api("paymentTerms.list")).json()
    assert terms["meta"]["default"] in {term["id"] for term in terms["data"]}


async def test_companies_updated_since_and_sort_updated_at(
    api: Api, sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    """§3.1 Sort / filters: incremental sync by updated_since with sort updated_at asc."""
    company_id = next(iter(sandbox.state.companies))
    await client.post(f"/_sandbox/companies/{company_id}", json={"name": "Renamed NV"})
    since = sandbox.now().isoformat()
    rows = (await api("companies.list", {"filter": {"updated_since": since}})).json()["data"]
    assert [row["id"] for row in rows] == [company_id]
    assert rows[0]["name"] == "Renamed NV"
    ordered = (
        await api("companies.list", {"sort": [{"field": "updated_at"}], "page": {"size": 100}})
    ).json()["data"]
    stamps = [row["updated_at"] for row in ordered]
    assert stamps == sorted(stamps) and ordered[-1]["id"] == company_id


async def test_unknown_filter_keys_are_ignored(api: Api, sandbox: Sandbox) -> None:
    """§2.5 / §3.1: there is no `name` filter; it is ignored and everything comes back."""
    rows = (await api("companies.list", {"filter": {"name": "nobody"}, "page": {"size": 100}})).json()["data"]
    assert len(rows) == len(sandbox.state.companies)


async def test_contacts_company_filter_and_null_for_unlinked(api: Api, sandbox: Sandbox) -> None:
    """§3.2 Filters: company_id, with null meaning contacts linked to no company."""
    linked = next(contact for contact in sandbox.state.contacts.values() if contact.company_ids)
    company_id = linked.company_ids[0]
    rows = (await api("contacts.list", {"filter": {"company_id": company_id}})).json()["data"]
    assert linked.id in {row["id"] for row in rows}
    unlinked = (await api("contacts.list", {"filter": {"company_id": None}, "page": {"size": 100}})).json()[
        "data"
    ]
    assert unlinked and all(not sandbox.state.contacts[row["id"]].company_ids for row in unlinked)
    info = (await api("contacts.info", {"id": linked.id})).json()["data"]
    assert {item["company"]["id"] for item in info["companies"]} == set(linked.company_ids)


async def test_includes_custom_fields_but_not_include(api: Api) -> None:
    """§2.1 Sideloading: `includes` works; the `include` spelling is silently ignored."""
    with_fields = (await api("companies.list", {"includes": "custom_fields"})).json()["data"]
    assert all("custom_fields" in row for row in with_fields)
    ignored = (await api("companies.list", {"include": "custom_fields"})).json()["data"]
    assert all("custom_fields" not in row for row in ignored)


async def test_company_update_writes_a_custom_field(api: Api, sandbox: Sandbox) -> None:
    """§3.2 Updates: 204; custom fields must be existing definitions of the right context."""
    state = sandbox.state
    company_id = next(iter(state.companies))
    field_id = next(item.id for item in state.custom_field_definitions.values() if item.context == "company")
    other_id = next(item.id for item in state.custom_field_definitions.values() if item.context == "contact")
    response = await api(
        "companies.update", {"id": company_id, "custom_fields": [{"id": field_id, "value": 250.5}]}
    )
    assert response.status_code == 204 and response.content == b""
    info = (await api("companies.info", {"id": company_id})).json()["data"]
    assert info["custom_fields"] == [
        {"definition": {"type": "customFieldDefinition", "id": field_id}, "value": 250.5}
    ]
    wrong = await api("companies.update", {"id": company_id, "custom_fields": [{"id": other_id, "value": 1}]})
    assert wrong.status_code == 400
    assert (await api("companies.info", {"id": "missing"})).status_code == 404


async def test_project_records_lead_to_the_customer(api: Api, sandbox: Sandbox) -> None:
    """§3.3 Customer: projects/milestones/tickets/tasks .info resolve an entry's customer."""
    state = sandbox.state
    milestone = next(iter(state.milestones.values()))
    project = (await api("milestones.info", {"id": milestone.id})).json()["data"]["project"]
    customer = (await api("projects.info", {"id": project["id"]})).json()["data"]["customer"]
    assert state.customer_exists((customer["type"], customer["id"]))
    ticket = next(iter(state.tickets.values()))
    assert (await api("tickets.info", {"id": ticket.id})).json()["data"]["customer"]["id"] == ticket.customer[
        1
    ]
    todo = next(iter(state.todos.values()))
    assert (await api("tasks.info", {"id": todo.id})).json()["data"]["customer"]["id"] == todo.customer[1]
