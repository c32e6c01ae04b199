"""Rate limiting: header parsing, the sliding window, and steady state at the limit without 429s."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from support.clock import PinnedClock

from connector.settings import Settings
from connector.teamleader import RateLimiter, TeamleaderClient
from connector.teamleader.ratelimit import parse_reset, parse_retry_after

from .conftest import FakeTeamleader

NOW = datetime(2021, 6, 15, 9, 51, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-06-15T10:51:23.035+0100", 23.035),
        ("2021-06-15T09:51:08+00:00", 8.0),
        ("2021-06-15T09:51:30Z", 30.0),
        (str(int(NOW) + 12), 12.0),
        ("5", 5.0),
        ("2021-06-15T09:50:00+00:00", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_reset_header_is_read_as_iso_then_epoch(value: str | None, expected: float | None) -> None:
    result = parse_reset(value, NOW)
    assert result == (None if expected is None else pytest.approx(expected))


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("3", NOW) == 3.0
    assert parse_retry_after("Tue, 15 Jun 2021 09:51:10 GMT", NOW) == pytest.approx(10.0)
    assert parse_retry_after("later", NOW) is None


def test_window_holds_the_next_request_until_the_oldest_leaves(clock: PinnedClock) -> None:
    limiter = RateLimiter(3, clock)
    for _ in range(3):
        limiter.acquire()
    assert clock.sleeps == []
    clock.advance(seconds=10)
    limiter.acquire()
    assert sum(clock.sleeps) == pytest.approx(50.25)


def test_remaining_zero_blocks_until_reset(clock: PinnedClock) -> None:
    limiter = RateLimiter(200, clock)
    limiter.acquire()
    limiter.observe(
        httpx.Headers(
            {
                "X-RateLimit-Limit": "200",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(clock.time()) + 4),
            }
        )
    )
    limiter.acquire()
    assert sum(clock.sleeps) >= 4.0


def test_requests_counted_elsewhere_fill_the_window(clock: PinnedClock) -> None:
    limiter = RateLimiter(10, clock)
    limiter.acquire()
    limiter.observe(
        httpx.Headers({"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "30"})
    )
    limiter.acquire()
    assert clock.sleeps == []
    limiter.acquire()
    assert sum(clock.sleeps) == pytest.approx(30.25)


def test_a_lower_server_limit_wins(clock: PinnedClock) -> None:
    limiter = RateLimiter(200, clock)
    limiter.observe(httpx.Headers({"X-RateLimit-Limit": "100"}))
    assert limiter.limit == 100


def test_sustained_load_runs_at_the_limit_without_429(
    make_client: Callable[..., TeamleaderClient],
    fake: FakeTeamleader,
    clock: PinnedClock,
    tl_settings: Settings,
    connected: object,
) -> None:
    """A server with Teamleader's sliding window: 500 calls, none refused, in about 2.5 windows."""
    limit, window = 200, 60.0
    seen: deque[float] = deque()
    refused = 0

    def server(_: httpx.Request) -> httpx.Response:
        nonlocal refused
        while seen and seen[0] <= clock.time() - window:
            seen.popleft()
        if len(seen) >= limit:
            refused += 1
            return httpx.Response(429, headers={"X-RateLimit-Reset": str(seen[0] + window)})
        seen.append(clock.time())
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - len(seen)),
            "X-RateLimit-Reset": datetime.fromtimestamp(seen[0] + window, tz=UTC).isoformat(),
        }
        clock.advance(seconds=0.01)
        return httpx.Response(
            200, headers=headers, json={"data": {"id": "u", "account": {"type": "account", "id": "a"}}}
        )

    fake.api("users.me").mock(side_effect=server)
    client = make_client()
    started = clock.time()
    for _ in range(500):
        client.me()
    assert refused == 0
    elapsed = clock.time() - started
    assert 2 * window <= elapsed < 2 * window + 5
