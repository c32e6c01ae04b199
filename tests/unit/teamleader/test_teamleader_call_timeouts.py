"""Invoice calls wait PREPAID_TOPUP_CALL_TIMEOUT_SECONDS for an answer; every other call keeps 30 s."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Engine
from support.clock import PinnedClock

from connector.settings import Settings
from connector.storage.token_store import TokenPair
from connector.teamleader import build_client


class Recording(httpx.BaseTransport):
    """Answers every call with an empty list and keeps the timeouts each request went out with."""

    def __init__(self) -> None:
        self.timeouts: dict[str, dict[str, Any]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.timeouts[request.url.path.rsplit("/", 1)[-1]] = dict(request.extensions["timeout"])
        return httpx.Response(200, json={"data": []})


def test_invoice_calls_get_their_own_read_timeout(
    tl_settings: Settings, tl_engine: Engine, connected: TokenPair, clock: PinnedClock
) -> None:
    settings = tl_settings.model_copy(update={"topup_call_timeout_seconds": 7.5})
    recording = Recording()
    client = build_client(settings, tl_engine, api_transport=recording, clock=clock)
    try:
        client.call("invoices.list", {"filter": {"purchase_order_number": "PP-X"}})
        client.call("invoices.info", {"id": "inv-1"})
        client.call("companies.list", {})
    finally:
        client.close()
    for endpoint in ("invoices.list", "invoices.info"):
        assert (recording.timeouts[endpoint]["read"], recording.timeouts[endpoint]["write"]) == (7.5, 7.5)
        assert recording.timeouts[endpoint]["connect"] == 5.0
    assert recording.timeouts["companies.list"]["read"] == 30.0
