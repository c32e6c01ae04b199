"""Transport: headers, exact decimals, error mapping, retries per operation kind, 429 handling.

The client runs on the pinned clock of `conftest` (waits are measured on it); the dates written
below are values the client serialises, not "now".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from support.clock import PinnedClock

from connector.teamleader import (
    MalformedResponse,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    RequestFailed,
    ServerError,
    TeamleaderClient,
    TransportFailed,
    ValidationFailed,
)
from connector.teamleader.models import Money, Reference
from connector.teamleader.operations import MAX_ATTEMPTS

from .conftest import FakeTeamleader

INVOICE = {
    "data": {
        "id": "inv-1",
        "status": "draft",
        "invoice_number": None,
        "total": {"payable": {"amount": 121.5, "currency": "EUR"}},
    }
}
CREATED = {"data": {"type": "invoice", "id": "inv-9"}}
DRAFT = {"invoicee": {"customer": {"type": "company", "id": "c-1"}}, "department_id": "d-1"}


def test_request_is_a_json_post_with_api_version_and_exact_decimals(
    client: TeamleaderClient, fake: FakeTeamleader
) -> None:
    route = fake.api("invoices.registerPayment").respond(204)
    client.register_payment(
        "inv-1",
        Money(amount=Decimal("0.10"), currency="EUR"),
        datetime(2026, 5, 1, 9, 30, 15, 123, tzinfo=UTC),
    )
    request = route.calls.last.request
    assert request.headers["X-Api-Version"] == "2023-09-26"
    assert request.headers["Content-Type"] == "application/json"
    assert request.content == (
        b'{"id":"inv-1","payment":{"amount":0.10,"currency":"EUR"},"paid_at":"2026-05-01T09:30:15+00:00"}'
    )


def test_response_numbers_parse_as_decimal(client: TeamleaderClient, fake: FakeTeamleader) -> None:
    fake.api("invoices.info").respond(200, json=INVOICE)
    invoice = client.invoice("inv-1")
    assert invoice.total is not None and invoice.total.payable == Money(
        amount=Decimal("121.5"), currency="EUR"
    )


@pytest.mark.parametrize(
    ("status", "error"), [(400, ValidationFailed), (404, NotFound), (403, RequestFailed)]
)
def test_error_statuses_map_to_typed_errors_with_teamleaders_text(
    client: TeamleaderClient, fake: FakeTeamleader, status: int, error: type[RequestFailed]
) -> None:
    route = fake.api("invoices.info").respond(
        status, json={"errors": [{"title": "grouped_lines must be valid"}]}
    )
    with pytest.raises(error) as caught:
        client.invoice("inv-1")
    assert (caught.value.endpoint, caught.value.status) == ("invoices.info", status)
    assert caught.value.detail == "grouped_lines must be valid"
    assert route.call_count == 1


def test_malformed_json_on_a_read_is_a_clear_error_and_not_retried(
    client: TeamleaderClient, fake: FakeTeamleader
) -> None:
    route = fake.api("invoices.info").respond(200, text="<html>gateway</html>")
    with pytest.raises(MalformedResponse, match="not JSON"):
        client.invoice("inv-1")
    assert route.call_count == 1


def test_reads_are_retried_on_5xx_and_timeouts(
    client: TeamleaderClient, fake: FakeTeamleader, clock: PinnedClock
) -> None:
    route = fake.api("invoices.info").mock(
        side_effect=[
            httpx.Response(503),
            httpx.ReadTimeout("slow"),
            httpx.RemoteProtocolError("dropped"),
            httpx.Response(200, json=INVOICE),
        ]
    )
    assert client.invoice("inv-1").id == "inv-1"
    assert route.call_count == 4
    assert len(clock.sleeps) == 3 and all(0 < s <= 10.5 for s in clock.sleeps)


def test_read_retries_are_bounded(client: TeamleaderClient, fake: FakeTeamleader) -> None:
    route = fake.api("invoices.info").respond(502, json={"errors": [{"title": "Bad gateway"}]})
    with pytest.raises(ServerError, match="Bad gateway"):
        client.invoice("inv-1")
    assert route.call_count == MAX_ATTEMPTS


@pytest.mark.parametrize(
    "outcome",
    [
        httpx.Response(500),
        httpx.Response(504),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
        httpx.Response(200, text="{oops"),
    ],
)
def test_writes_are_not_retried_when_they_may_have_been_applied(
    client: TeamleaderClient, fake: FakeTeamleader, outcome: object
) -> None:
    route = fake.api("invoices.draft").mock(side_effect=[outcome])
    with pytest.raises(OutcomeUnknown) as caught:
        client.draft_invoice(DRAFT)
    assert caught.value.endpoint == "invoices.draft"
    assert route.call_count == 1


def test_writes_are_retried_when_the_request_was_never_sent(
    client: TeamleaderClient, fake: FakeTeamleader
) -> None:
    route = fake.api("invoices.draft").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(201, json=CREATED)]
    )
    assert client.draft_invoice(DRAFT) == "inv-9"
    assert route.call_count == 2


def test_create_answer_is_accepted_without_the_data_envelope(
    client: TeamleaderClient, fake: FakeTeamleader
) -> None:
    fake.api("invoices.draft").respond(201, json={"type": "invoice", "id": "inv-7"})
    assert client.draft_invoice(DRAFT) == "inv-7"


def test_unreachable_teamleader_is_a_transport_error_after_retries(
    client: TeamleaderClient, fake: FakeTeamleader
) -> None:
    route = fake.api("users.list").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(TransportFailed, match="PREPAID_TEAMLEADER_API_URL"):
        list(client.users())
    assert route.call_count == MAX_ATTEMPTS


def test_429_waits_until_the_iso_reset_with_jitter_then_retries_a_write(
    client: TeamleaderClient, fake: FakeTeamleader, clock: PinnedClock
) -> None:
    reset = clock.at + timedelta(seconds=7)
    header = reset.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    limited = httpx.Response(
        429,
        headers={"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": header},
        json={"errors": [{"title": "Too many requests"}]},
    )
    route = fake.api("invoices.draft").mock(side_effect=[limited, httpx.Response(201, json=CREATED)])
    assert client.draft_invoice(DRAFT) == "inv-9"
    assert route.call_count == 2
    waited = sum(clock.sleeps)
    assert 7.0 <= waited <= 8.0


def test_429_honours_retry_after(client: TeamleaderClient, fake: FakeTeamleader, clock: PinnedClock) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "2"}, json={"errors": [{"title": "slow down"}]})
    route = fake.api("users.me").mock(
        side_effect=[
            limited,
            httpx.Response(200, json={"data": {"id": "u", "account": {"type": "account", "id": "a"}}}),
        ]
    )
    client.me()
    assert route.call_count == 2
    assert 2.0 <= sum(clock.sleeps) <= 3.0
    assert client.rate_limit is not None


def test_persistent_429_gives_up_as_rate_limited(client: TeamleaderClient, fake: FakeTeamleader) -> None:
    fake.api("users.me").respond(429, headers={"X-RateLimit-Reset": "1"})
    with pytest.raises(RateLimited):
        client.me()


def test_calls_are_counted_per_request(client: TeamleaderClient, fake: FakeTeamleader) -> None:
    fake.api("invoices.info").mock(side_effect=[httpx.Response(503), httpx.Response(200, json=INVOICE)])
    fake.api("webhooks.unregister").respond(204)
    client.invoice("inv-1")
    client.unregister_webhook("https://x.example/hook", ["invoice.booked"])
    assert client.api_calls == 3


def test_filters_are_sent_as_teamleader_expects(client: TeamleaderClient, fake: FakeTeamleader) -> None:
    route = fake.api("invoices.list").respond(200, json={"data": []})
    since = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    list(
        client.invoices(
            purchase_order_number="PP-1",
            customer=Reference(type="company", id="c-1"),
            status=["draft"],
            updated_since=since,
        )
    )
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "filter": {
            "purchase_order_number": "PP-1",
            "customer": {"type": "company", "id": "c-1"},
            "status": ["draft"],
            "updated_since": "2026-01-02T03:04:05+00:00",
        },
        "page": {"size": 100, "number": 1},
    }
