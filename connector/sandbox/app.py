"""The sandbox as one ASGI application: OAuth, the Teamleader API and the control API on one port.

Routes: `GET /oauth2/authorize`, `POST /oauth2/access_token`, `POST /<resource>.<action>` (and
the deprecated `GET /<resource>.list|info?query`, `querybody`) and `/_sandbox/...`. An API request goes through, in order: request counting, injected faults,
bearer-token check (401), rate limit (429), schema validation (400), the handler, and the
"write applied but 500 returned" fault. The app is raw ASGI, not a framework, because the
sandbox must answer thousands of list requests per second on one core.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

import httpx

from connector.sandbox import api_crm, api_invoices, api_tasks, api_time, api_webhooks, control
from connector.sandbox.core import Sandbox
from connector.sandbox.errors import ApiError, error_body
from connector.sandbox.jsonio import decode, encode
from connector.sandbox.listing import Reply
from connector.sandbox.querybody import GET_ACTIONS, body_from_query
from connector.sandbox.validation import validate_request

__all__ = ["SandboxApp", "create_app"]

Scope = dict[str, Any]
Receive = Any
Send = Any
Headers = list[tuple[bytes, bytes]]

HANDLERS = {
    **api_crm.HANDLERS,
    **api_tasks.HANDLERS,
    **api_time.HANDLERS,
    **api_invoices.HANDLERS,
    **api_webhooks.HANDLERS,
}
API_VERSION = b"2023-09-26"


class SandboxApp:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith("/_sandbox/"):
            body = await _read_body(receive)
            query = dict(parse_qsl(scope.get("query_string", b"").decode()))
            status, payload = await control.handle(self.sandbox, scope["method"], path, query, body)
            await _respond(send, status, payload)
        elif path == "/oauth2/authorize":
            await self._authorize(scope, send)
        elif path == "/oauth2/access_token":
            await self._token(scope, receive, send)
        else:
            await self._api(scope, receive, send, path[1:])

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.sandbox.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _authorize(self, scope: Scope, send: Send) -> None:
        self.sandbox.request_counts["oauth2.authorize"] += 1
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        try:
            location = self.sandbox.oauth.authorize(query)
        except ApiError as error:
            await _respond(send, error.status, error.body())
            return
        await _respond(send, 302, None, [(b"location", location.encode())])

    async def _token(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.sandbox.request_counts["oauth2.access_token"] += 1
        raw = await _read_body(receive)
        headers = _headers(scope)
        try:
            if scope["method"] != "POST":
                raise ApiError(405, "Use POST for /oauth2/access_token")
            if headers.get("content-type", "").startswith("application/json"):
                form = decode(raw) if raw else {}
            else:
                form = dict(parse_qsl(raw.decode()))
            if not isinstance(form, dict):
                raise ApiError(400, "the token request body must be an object")
            with self.sandbox.state.lock:
                tokens = self.sandbox.oauth.token(form, headers.get("authorization"))
        except ValueError:
            await _respond(send, 400, error_body(400, "the token request body is not valid JSON"))
            return
        except ApiError as error:
            await _respond(send, error.status, error.body())
            return
        await _respond(send, 200, tokens, [(b"cache-control", b"no-store")])

    async def _api(self, scope: Scope, receive: Receive, send: Send, endpoint: str) -> None:
        sandbox = self.sandbox
        sandbox.request_counts[endpoint] += 1
        handler = HANDLERS.get(endpoint)
        if handler is None:
            await _respond(send, 404, error_body(404, f"Unknown endpoint /{endpoint}"))
            return
        fault = sandbox.faults.decide(endpoint) if sandbox.faults.rules else None
        if fault is not None:
            if fault.latency:
                await asyncio.sleep(fault.latency)
            if fault.drop:
                await _drop(send, receive)
                return
            if fault.status is not None:
                await _respond(send, fault.status, error_body(fault.status, "Injected fault"))
                return
        headers = _headers(scope)
        rate: Headers = []
        try:
            client_id = sandbox.oauth.check_access(headers.get("authorization"))
            decision = sandbox.limiter.hit(client_id)
            rate = decision.headers
            if not decision.allowed:
                sandbox.request_counts["rate_limited"] += 1
                raise ApiError(429, "Too Many Requests")
            if scope["method"] == "POST":
                body = _decode(await _read_body(receive))
            elif scope["method"] == "GET" and endpoint.endswith(GET_ACTIONS):
                body = body_from_query(endpoint, scope.get("query_string", b""))
            else:
                raise ApiError(
                    405,
                    f"Use POST with a JSON body for /{endpoint} "
                    "(GET with query parameters is only possible, and deprecated, for .list and .info)",
                )
            status, payload = _run(sandbox, handler, endpoint, body)
        except ApiError as error:
            await _respond(send, error.status, error.body(), rate)
            return
        if fault is not None and fault.applied_500:
            status, payload = 500, error_body(500, "Internal Server Error")
        await _respond(send, status, payload, rate)


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        body = decode(raw) if raw.strip() else {}
    except ValueError as exc:
        raise ApiError(400, "The request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return body


def _run(sandbox: Sandbox, handler: Any, endpoint: str, body: dict[str, Any]) -> Reply:
    validate_request(endpoint, body)
    with sandbox.state.lock:
        reply: Reply = handler(sandbox, body)
    return reply


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode().lower(): value.decode() for name, value in scope.get("headers", [])}


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, payload: Any, extra: Headers | None = None) -> None:
    body = b"" if payload is None else encode(payload)
    headers: Headers = [(b"content-length", str(len(body)).encode()), (b"x-api-version", API_VERSION)]
    if payload is not None:
        headers.append((b"content-type", b"application/json"))
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Send, receive: Receive) -> None:
    """Closes the connection without a byte of answer.

    ASGI has no "close without answering"; uvicorn answers 500 for an app that fails before
    responding. So the socket is closed through uvicorn's transport (reached via the bound
    `send`), then the app waits for the disconnect so uvicorn knows there is no one to answer.
    In-process (httpx's ASGITransport) there is no socket: raise what httpx raises for a
    dropped connection, so clients see the same error type either way.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    transport.close()
    while (await receive())["type"] != "http.disconnect":
        continue


def create_app(sandbox: Sandbox | None = None) -> SandboxApp:
    """The ASGI app for a new (or the given) sandbox."""
    return SandboxApp(sandbox or Sandbox())
