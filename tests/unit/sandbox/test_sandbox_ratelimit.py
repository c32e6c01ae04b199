"""Contract tests: the sliding-window rate limit and its headers, teamleader-api.md §2.3."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import httpx

from connector.sandbox import ManualClock, Sandbox

Api = Callable[..., Awaitable[httpx.Response]]


async def test_every_api_answer_carries_the_rate_limit_headers(api: Api) -> None:
    """§2.3 Rate limiting: Limit, Remaining and an ISO-8601 Reset on every response, errors too."""
    for response in (await api("users.me"), await api("companies.info", {"id": "missing"})):
        assert response.headers["X-RateLimit-Limit"] == "200"
        assert int(response.headers["X-RateLimit-Remaining"]) < 200
        reset = datetime.fromisoformat(response.headers["X-RateLimit-Reset"])
        assert reset.tzinfo is not None


async def test_over_the_limit_is_429_until_the_oldest_request_leaves_the_window(
    api: Api, sandbox: Sandbox, clock: ManualClock
) -> None:
    """§2.3 Rate limiting: 429 over the limit; succeeds again once the oldest request expires."""
    sandbox.settings.rate_limit = 3
    first = await api("users.me")
    clock.advance(10)
    await api("users.me")
    last = await api("users.me")
    assert last.headers["X-RateLimit-Remaining"] == "0"
    refused = await api("users.me")
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["status"] == 429
    reset = datetime.fromisoformat(refused.headers["X-RateLimit-Reset"])
    assert reset >= datetime.fromisoformat(first.headers["X-RateLimit-Reset"])
    clock.advance(50)
    again = await api("users.me")
    assert again.status_code == 200
    assert again.headers["X-RateLimit-Remaining"] == "0"


async def test_remaining_goes_up_as_old_requests_expire(api: Api, clock: ManualClock) -> None:
    """§2.3 Rate limiting: Remaining can go up as requests leave the sliding minute."""
    for _ in range(5):
        await api("users.me")
    clock.advance(61)
    assert (await api("users.me")).headers["X-RateLimit-Remaining"] == "199"


async def test_the_limit_can_be_disabled_at_run_time(api: Api, client: httpx.AsyncClient) -> None:
    """§2.3 Rate limiting: tests and benchmarks may switch the limit off (control API)."""
    settings = await client.post("/_sandbox/settings", json={"rate_limit": 2, "rate_limit_enabled": False})
    assert settings.json()["rate_limit_enabled"] is False
    for _ in range(5):
        assert (await api("users.me")).status_code == 200
