"""End-to-end: the sandbox on a real socket (thread and subprocess), teamleader-api.md §1, §2.2, §4."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from connector.sandbox import SandboxConfig, SandboxServer, SeedParams

pytestmark = pytest.mark.e2e

SMALL = SeedParams(seed=5, companies=4, contacts=4, entries=100, months=2)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(seed=SMALL)) as running:
        yield running


def _login(http: httpx.Client, server: SandboxServer) -> dict[str, Any]:
    redirect = "http://127.0.0.1:1/callback"
    authorize = http.get(
        "/oauth2/authorize",
        params={
            "client_id": server.client_id,
            "response_type": "code",
            "redirect_uri": redirect,
            "state": "e2e",
        },
    )
    code = httpx.URL(authorize.headers["location"]).params["code"]
    tokens = http.post(
        "/oauth2/access_token",
        json={
            "client_id": server.client_id,
            "client_secret": server.client_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": redirect,
        },
    )
    assert tokens.status_code == 200
    body: dict[str, Any] = tokens.json()
    return body


def test_oauth_dance_and_a_list_call_over_a_socket(server: SandboxServer) -> None:
    """§1.1 and §2.1: authorize, exchange, then POST /companies.list with the bearer token."""
    with httpx.Client(base_url=server.url) as http:
        tokens = _login(http, server)
        response = http.post(
            "/companies.list",
            json={"page": {"size": 100}},
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["data"]} == set(server.state.companies)
    assert response.headers["X-RateLimit-Limit"] == "200"


def test_dropped_connection_is_a_protocol_error_over_a_socket(server: SandboxServer) -> None:
    """§2.2 Errors: the socket closes without an answer; httpx raises RemoteProtocolError."""
    with httpx.Client(base_url=server.url) as http:
        tokens = _login(http, server)
        http.post("/_sandbox/faults", json={"endpoint": "users.me", "kind": "drop", "count": 1})
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/users.me", json={}, headers=headers)
        assert http.post("/users.me", json={}, headers=headers).status_code == 200


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[dict[str, Any]] = []
    arrived = threading.Event()

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()
        type(self).arrived.set()

    def log_message(self, format: str, *args: Any) -> None:
        """Keeps test output quiet."""


def test_webhook_reaches_a_real_receiver(server: SandboxServer) -> None:
    """§4.3 Payload: a control-API change is POSTed to the registered URL."""
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        with httpx.Client(base_url=server.url) as http:
            tokens = _login(http, server)
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            http.post(
                "/webhooks.register", json={"url": hook, "types": ["timeTracking.added"]}, headers=headers
            )
            entry_id = http.post("/_sandbox/time-entries", json={}).json()["data"]["id"]
            assert _Receiver.arrived.wait(10)
        assert _Receiver.bodies[-1]["subject"] == {"type": "timeTracking", "id": entry_id}
        assert _Receiver.bodies[-1]["account"]["id"] == server.state.account_id
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_runs_as_a_separate_process() -> None:
    """`python -m connector.sandbox --port 0` serves and prints where it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "connector.sandbox", "--port", "0", "--entries", "50", "--rate-limit", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        url = first_line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        health = httpx.get(f"{url}/_sandbox/health", timeout=10)
        assert health.json()["client_id"] == "sandbox-client"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()
