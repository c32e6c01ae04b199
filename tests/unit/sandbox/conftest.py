"""Fixtures for the sandbox's contract tests: a small seeded sandbox run in-process.

The app runs through httpx's ASGITransport on a `ManualClock` (the sandbox's own clock) set at
`START`, the morning after the seed's anchor, so expiry and rate-limit windows are tested by
moving the clock and no test depends on the day it runs; webhooks go to an in-memory transport
that records them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from connector.sandbox import ManualClock, Sandbox, SandboxConfig, SeedParams, create_app

SEED = SeedParams(
    seed=7, companies=12, contacts=15, entries=600, months=3, anchor=date(2026, 3, 1), task_share=0.05
)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

Api = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def received() -> list[httpx.Request]:
    """Webhook deliveries the sandbox made, in order."""
    return []


@pytest.fixture
def sandbox(clock: ManualClock, received: list[httpx.Request]) -> Iterator[Sandbox]:
    def record(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    instance = Sandbox(SandboxConfig(seed=SEED), clock=clock, webhook_transport=httpx.MockTransport(record))
    yield instance
    instance.close()


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
        yield http


@pytest.fixture
def token(sandbox: Sandbox) -> str:
    access_token: str = sandbox.oauth.issue_for_tests()["access_token"]
    return access_token


@pytest.fixture
def api(client: httpx.AsyncClient, token: str) -> Api:
    """POSTs a JSON body to `/<endpoint>` with a valid bearer token."""

    async def call(endpoint: str, body: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return await client.post(f"/{endpoint}", json=body or {}, headers=headers, **kwargs)

    return call
