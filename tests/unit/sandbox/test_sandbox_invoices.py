"""Contract tests: drafting, booking, listing, paying and crediting invoices, teamleader-api.md §3.5."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx

from connector.sandbox import Sandbox

Api = Callable[..., Awaitable[httpx.Response]]


def _draft_body(
    sandbox: Sandbox, *, department: int = 0, rate_department: int | None = None
) -> dict[str, Any]:
    state = sandbox.state
    departments = list(state.departments)
    department_id = departments[department]
    rate_owner = departments[department if rate_department is None else rate_department]
    tax_rate_id = next(rate.id for rate in state.tax_rates.values() if rate.department_id == rate_owner)
    return {
        "invoicee": {"customer": {"type": "company", "id": next(iter(state.companies))}},
        "department_id": department_id,
        "payment_term": {"type": "after_invoice_date", "days": 14},
        "purchase_order_number": "PREPAID-42",
        "grouped_lines": [
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "description": "Prepaid top-up",
                        "unit_price": {"amount": 1000.10, "tax": "excluding"},
                        "tax_rate_id": tax_rate_id,
                    }
                ]
            }
        ],
    }


def _decimal_json(response: httpx.Response) -> Any:
    return json.loads(response.text, parse_float=Decimal)


async def _draft(api: Api, sandbox: Sandbox) -> str:
    response = await api("invoices.draft", _draft_body(sandbox))
    assert response.status_code == 201
    invoice_id: str = response.json()["data"]["id"]
    return invoice_id


async def test_draft_returns_201_with_type_and_id(api: Api, sandbox: Sandbox) -> None:
    """§2.1 Responses / §3.5 invoices.draft: 201 {"data": {"type": "invoice", "id"}}."""
    response = await api("invoices.draft", _draft_body(sandbox))
    assert response.status_code == 201
    assert response.json()["data"]["type"] == "invoice"
    info = _decimal_json(await api("invoices.info", {"id": response.json()["data"]["id"]}))["data"]
    assert info["status"] == "draft" and info["invoice_number"] is None
    assert info["total"]["tax_exclusive"]["amount"] == Decimal("1000.10")
    assert info["total"]["tax_inclusive"]["amount"] == Decimal("1210.12")
    assert info["grouped_lines"][0]["section"] == {"title": None}


async def test_untitled_sections_must_omit_section(api: Api, sandbox: Sandbox) -> None:
    """§3.5 / §5.8: `section: {title: null}` or an empty title is 400; a real title is fine."""
    for section in ({"title": None}, {"title": ""}):
        body = _draft_body(sandbox)
        body["grouped_lines"][0]["section"] = section
        response = await api("invoices.draft", body)
        assert response.status_code == 400
        assert response.json()["errors"][0]["status"] == 400
    body = _draft_body(sandbox)
    body["grouped_lines"][0]["section"] = {"title": "Prepaid"}
    assert (await api("invoices.draft", body)).status_code == 201


async def test_tax_rate_must_belong_to_the_invoice_department(api: Api, sandbox: Sandbox) -> None:
    """§3.4 / §5.7: a tax rate of another department is invalid (400)."""
    response = await api("invoices.draft", _draft_body(sandbox, department=0, rate_department=1))
    assert response.status_code == 400


async def test_references_to_missing_records_are_400(api: Api, sandbox: Sandbox) -> None:
    """§2.2 Errors: 400 also covers references to non-existing resources."""
    body = _draft_body(sandbox)
    body["invoicee"]["customer"]["id"] = "00000000-0000-4000-8000-000000000000"
    assert (await api("invoices.draft", body)).status_code == 400
    body = _draft_body(sandbox)
    body["department_id"] = "00000000-0000-4000-8000-000000000000"
    assert (await api("invoices.draft", body)).status_code == 400


async def test_unit_price_tax_only_accepts_excluding(api: Api, sandbox: Sandbox) -> None:
    """§3.5 / §5.10: unit_price is {amount, tax: "excluding"}."""
    body = _draft_body(sandbox)
    body["grouped_lines"][0]["line_items"][0]["unit_price"]["tax"] = "including"
    assert (await api("invoices.draft", body)).status_code == 400


async def test_book_numbers_per_year_and_moves_to_outstanding(api: Api, sandbox: Sandbox) -> None:
    """§3.5 invoices.book: assigns "YYYY / N" and moves draft -> outstanding."""
    first, second = await _draft(api, sandbox), await _draft(api, sandbox)
    assert (await api("invoices.book", {"id": first, "on": "2031-02-01"})).status_code == 204
    assert (await api("invoices.book", {"id": second, "on": "2031-02-02"})).status_code == 204
    infos = [(await api("invoices.info", {"id": invoice})).json()["data"] for invoice in (first, second)]
    assert [info["invoice_number"] for info in infos] == ["2031 / 1", "2031 / 2"]
    assert infos[0]["status"] == "outstanding" and infos[0]["due_on"] == "2031-02-15"
    assert (await api("invoices.book", {"id": first, "on": "2031-02-01"})).status_code == 400


async def test_only_drafts_can_be_updated(api: Api, sandbox: Sandbox) -> None:
    """§3.5 invoices.update: drafts only, 204; booked invoices cannot be updated."""
    invoice_id = await _draft(api, sandbox)
    assert (await api("invoices.update", {"id": invoice_id, "note": "hello"})).status_code == 204
    assert (await api("invoices.info", {"id": invoice_id})).json()["data"]["note"] == "hello"
    await api("invoices.book", {"id": invoice_id, "on": "2031-03-01"})
    assert (await api("invoices.update", {"id": invoice_id, "note": "late"})).status_code == 400


async def test_delete_drafts_and_only_the_last_booked(api: Api, sandbox: Sandbox) -> None:
    """§3.5 invoices.delete: drafts or the last booked invoice only."""
    draft_id = await _draft(api, sandbox)
    assert (await api("invoices.delete", {"id": draft_id})).status_code == 204
    assert (await api("invoices.info", {"id": draft_id})).status_code == 404
    older, newer = await _draft(api, sandbox), await _draft(api, sandbox)
    await api("invoices.book", {"id": older, "on": "2032-01-01"})
    await api("invoices.book", {"id": newer, "on": "2032-01-02"})
    assert (await api("invoices.delete", {"id": older})).status_code == 400
    assert (await api("invoices.delete", {"id": newer})).status_code == 204


async def test_list_filters_status_array_and_purchase_order_number(api: Api, sandbox: Sandbox) -> None:
    """§3.5 invoices.list / §5.9: status must be an array of draft/outstanding/matched; PO number is exact."""
    invoice_id = await _draft(api, sandbox)
    found = await api(
        "invoices.list", {"filter": {"purchase_order_number": "PREPAID-42", "status": ["draft"]}}
    )
    assert [row["id"] for row in found.json()["data"]] == [invoice_id]
    assert "grouped_lines" not in found.json()["data"][0]
    none = await api("invoices.list", {"filter": {"purchase_order_number": "PREPAID-4"}})
    assert none.json()["data"] == []
    assert (await api("invoices.list", {"filter": {"status": "draft"}})).status_code == 400
    assert (await api("invoices.list", {"filter": {"status": ["booked"]}})).status_code == 400


async def test_payment_matches_the_invoice(api: Api, sandbox: Sandbox) -> None:
    """§3.5 invoices.registerPayment: payment {amount, currency} + paid_at; fully paid is matched."""
    invoice_id = await _draft(api, sandbox)
    early = {
        "id": invoice_id,
        "payment": {"amount": 10, "currency": "EUR"},
        "paid_at": "2031-04-01T10:00:00+00:00",
    }
    assert (await api("invoices.registerPayment", early)).status_code == 400
    await api("invoices.book", {"id": invoice_id, "on": "2031-04-01"})
    full = {**early, "payment": {"amount": 1210.12, "currency": "EUR"}}
    assert (await api("invoices.registerPayment", full)).status_code == 204
    info = (await api("invoices.info", {"id": invoice_id})).json()["data"]
    assert info["status"] == "matched" and info["paid"] is True
    assert info["payments"][0]["paid_at"] == "2031-04-01T10:00:00+00:00"


async def test_credit_notes_on_an_invoice(api: Api, sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    """§3.6: credit notes (creditNotes.list/info) reveal a top-up invoice that was credited."""
    invoice_id = await _draft(api, sandbox)
    await api("invoices.book", {"id": invoice_id, "on": "2031-05-01"})
    credited = await client.post(f"/_sandbox/invoices/{invoice_id}/credit", json={"on": "2031-05-03"})
    note_id = credited.json()["data"]["id"]
    notes = (await api("creditNotes.list", {"filter": {"invoice_id": invoice_id}})).json()["data"]
    assert [note["id"] for note in notes] == [note_id]
    info = _decimal_json(await api("creditNotes.info", {"id": note_id}))["data"]
    assert info["invoice"]["id"] == invoice_id
    assert info["total"]["tax_inclusive"]["amount"] == Decimal("1210.12")
