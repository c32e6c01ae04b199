"""Models: both readings where the docs are unsure, unknown fields kept, money as Decimal.

The dates here are data being parsed, not "now": the client under test runs on the pinned clock of
`conftest`, and no model reads a clock.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from connector.teamleader import TeamleaderClient
from connector.teamleader.jsoncodec import dumps, loads
from connector.teamleader.models import Invoice, Reference, TimeEntry

from .conftest import FakeTeamleader

ENTRY = {
    "id": "te-1",
    "user": {"type": "user", "id": "u-1"},
    "work_type": {"type": "workType", "id": "wt-1"},
    "started_on": "2026-03-02",
    "started_at": None,
    "ended_at": None,
    "duration": 5400,
    "description": "Workshop",
    "subject": {"type": "milestone", "id": "m-1"},
    "invoiceable": True,
    "relates_to": [{"type": "project", "id": "p-1"}, {"type": "company", "id": "c-1"}],
    "materials": [],
    "future_field": {"kept": True},
}


@pytest.mark.parametrize(
    "billing",
    [{}, {"billing_info": None}, {"billing_info": {"type": "prepaid", "invoice": None}}],
    ids=["absent", "null", "present"],
)
def test_time_entry_accepts_billing_info_absent_null_or_present(billing: dict[str, object]) -> None:
    entry = TimeEntry.model_validate(loads(dumps({**ENTRY, **billing})))
    assert entry.duration == 5400 and entry.started_on == date(2026, 3, 2) and entry.started_at is None
    assert entry.hourly_rate is None
    assert entry.direct_customer == Reference(type="company", id="c-1")
    assert entry.model_extra == {"materials": [], "future_field": {"kept": True}}
    if billing.get("billing_info"):
        assert entry.billing_info is not None and entry.billing_info.type == "prepaid"


def test_time_entry_hourly_rate_is_exact_money() -> None:
    entry = TimeEntry.model_validate(
        loads(
            b'{"id":"t","started_on":"2026-01-01","duration":60,"hourly_rate":{"amount":95.10,"currency":"EUR"}}'
        )
    )
    assert entry.hourly_rate is not None and entry.hourly_rate.amount == Decimal("95.10")


def test_draft_invoice_has_no_number_and_list_rows_parse_too() -> None:
    draft = Invoice.model_validate({"id": "i-1", "status": "draft", "invoice_number": None, "payments": []})
    assert draft.is_draft and draft.invoice_number is None
    row = Invoice.model_validate(
        loads(
            b'{"id":"i-2","status":"matched","invoice_number":"2026 / 4","purchase_order_number":"PP-7",'
            b'"total":{"payable":{"amount":1210.00,"currency":"EUR"}},"web_url":"https://x"}'
        )
    )
    assert row.total is not None and row.total.payable is not None
    assert row.total.payable.amount == Decimal("1210.00")


def test_unknown_invoice_status_is_refused() -> None:
    with pytest.raises(ValueError, match="status"):
        Invoice.model_validate({"id": "i-1", "status": "booked"})


def test_ticket_is_read_with_or_without_the_data_envelope(
    client: TeamleaderClient, fake: FakeTeamleader
) -> None:
    body = {"id": "tk-1", "subject": "Printer", "customer": {"type": "contact", "id": "ct-1"}}
    fake.api("tickets.info").mock(
        side_effect=[httpx.Response(200, json=body), httpx.Response(200, json={"data": body})]
    )
    assert client.ticket("tk-1").customer == Reference(type="contact", id="ct-1")
    assert client.ticket("tk-1").customer == Reference(type="contact", id="ct-1")


def test_me_identifies_account_and_user(client: TeamleaderClient, fake: FakeTeamleader) -> None:
    fake.api("users.me").respond(
        200,
        json={
            "data": {
                "id": "u-1",
                "first_name": "Ada",
                "last_name": "Peeters",
                "account": {"type": "account", "id": "acc-9"},
                "time_zone": "Europe/Brussels",
            }
        },
    )
    me = client.me()
    assert (me.account_id, me.id, me.name) == ("acc-9", "u-1", "Ada Peeters")


def test_payment_terms_carry_the_default(client: TeamleaderClient, fake: FakeTeamleader) -> None:
    fake.api("paymentTerms.list").respond(
        200,
        json={
            "data": [
                {"id": "pt-1", "type": "cash"},
                {"id": "pt-2", "type": "after_invoice_date", "days": 30},
            ],
            "meta": {"default": "pt-2"},
        },
    )
    terms = client.payment_terms()
    assert terms.default is not None and terms.default.to_api() == {"type": "after_invoice_date", "days": 30}


def test_floats_are_never_sent() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        dumps({"amount": 1.1})
