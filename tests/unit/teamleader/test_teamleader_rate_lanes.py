"""The rate budget shared by priority: bulk calls leave a reserve of every sliding minute free.

Everything runs on the pinned clock: the limiter's waits are the clock's sleeps, so "did not wait"
is an exact statement. The respx server below keeps Teamleader's sliding window and headers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from support.clock import PinnedClock

from connector.settings import Settings
from connector.teamleader import Lane, RateLimiter, TeamleaderClient

from .conftest import FakeTeamleader

LIMIT, WINDOW = 200, 60.0


def test_bulk_stops_at_three_quarters_of_the_minute(clock: PinnedClock) -> None:
    limiter = RateLimiter(LIMIT, clock, reserve=0.25)
    for _ in range(150):
        limiter.acquire(Lane.BULK)
    assert clock.sleeps == []
    limiter.acquire(Lane.BULK)
    assert sum(clock.sleeps) == pytest.approx(WINDOW + 0.25)


def test_urgent_calls_may_use_the_whole_minute_beside_a_full_bulk_lane(clock: PinnedClock) -> None:
    limiter = RateLimiter(LIMIT, clock, reserve=0.25)
    for _ in range(150):
        limiter.acquire(Lane.BULK)
    for _ in range(50):
        limiter.acquire(Lane.URGENT)
    assert clock.sleeps == []
    limiter.acquire(Lane.URGENT)
    assert sum(clock.sleeps) == pytest.approx(WINDOW + 0.25)


def test_a_bulk_call_waits_only_until_the_window_holds_fewer_than_its_cap(clock: PinnedClock) -> None:
    limiter = RateLimiter(LIMIT, clock, reserve=0.25)
    for _ in range(150):
        limiter.acquire(Lane.BULK)
        clock.advance(seconds=0.1)
    # The window holds 150 requests sent 0.1 s apart; the bulk lane fits again once the oldest has left.
    clock.sleeps.clear()
    limiter.acquire(Lane.BULK)
    assert sum(clock.sleeps) == pytest.approx(WINDOW + 0.25 - 15.0)
    assert limiter.waited_seconds()["bulk"] == pytest.approx(WINDOW + 0.25 - 15.0)
    assert limiter.waited_seconds()["urgent"] == 0.0


def test_requests_of_another_process_count_against_the_bulk_cap(clock: PinnedClock) -> None:
    """A cron `prepaid sync` beside serve: Teamleader counts 140 requests this limiter never sent."""
    headers = httpx.Headers(
        {"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "59", "X-RateLimit-Reset": "30"}
    )
    sync, serve = RateLimiter(LIMIT, clock, reserve=0.25), RateLimiter(LIMIT, clock, reserve=0.25)
    for limiter in (sync, serve):
        limiter.acquire(Lane.BULK)
        limiter.observe(headers)
    for _ in range(9):
        sync.acquire(Lane.BULK)
    assert clock.sleeps == []
    for _ in range(59):
        serve.acquire(Lane.URGENT)
    assert clock.sleeps == []
    sync.acquire(Lane.BULK)
    assert clock.sleeps != []


def test_no_reserve_lets_bulk_use_the_whole_minute(clock: PinnedClock) -> None:
    limiter = RateLimiter(LIMIT, clock, reserve=0.0)
    for _ in range(LIMIT):
        limiter.acquire(Lane.BULK)
    assert clock.sleeps == []
    assert limiter.cap(Lane.BULK) == LIMIT


@pytest.mark.parametrize("reserve", [1.0, -0.1])
def test_a_reserve_outside_the_minute_is_refused(clock: PinnedClock, reserve: float) -> None:
    with pytest.raises(ValueError, match="share of the minute"):
        RateLimiter(LIMIT, clock, reserve=reserve)


def _sliding_server(clock: PinnedClock, seen: list[float]) -> Callable[[httpx.Request], httpx.Response]:
    """Teamleader's limit: 200 a sliding minute, 429 beyond, every answer with its headers."""
    window: deque[float] = deque()

    def server(_: httpx.Request) -> httpx.Response:
        while window and window[0] <= clock.time() - WINDOW:
            window.popleft()
        if len(window) >= LIMIT:
            return httpx.Response(429, headers={"X-RateLimit-Reset": str(window[0] + WINDOW)})
        window.append(clock.time())
        seen.append(clock.time())
        headers = {
            "X-RateLimit-Limit": str(LIMIT),
            "X-RateLimit-Remaining": str(LIMIT - len(window)),
            "X-RateLimit-Reset": datetime.fromtimestamp(window[0] + WINDOW, tz=UTC).isoformat(),
        }
        clock.advance(seconds=0.01)
        return httpx.Response(200, headers=headers, json={"data": []})

    return server


def test_a_streaming_sync_leaves_every_urgent_call_free_to_go_at_once(
    make_client: Callable[..., TeamleaderClient],
    fake: FakeTeamleader,
    clock: PinnedClock,
    connected: object,
) -> None:
    """A bulk stream of 450 calls; after every 30 of them a webhook batch of 5 urgent calls."""
    seen: list[float] = []
    fake.api("timeTracking.list").mock(side_effect=_sliding_server(clock, seen))
    fake.api("companies.list").mock(side_effect=_sliding_server(clock, []))
    client = make_client()
    sync = client.in_lane(Lane.BULK)
    urgent_waits: list[float] = []
    for n in range(450):
        sync.call("timeTracking.list", {"page": {"number": n + 1}})
        if n % 30 == 29:
            before = sum(clock.sleeps)
            for _ in range(5):
                client.call("companies.list", {})
            urgent_waits.append(sum(clock.sleeps) - before)
    assert urgent_waits == [0.0] * 15
    assert sync.api_calls == 450
    assert client.api_calls == 450 + 75
    # Within any sliding minute the bulk lane sent at most three quarters of the limit.
    busiest = max(sum(1 for t in seen if start <= t < start + WINDOW) for start in seen)
    assert busiest <= 150


def test_the_reserve_setting_reaches_the_client(
    make_client: Callable[..., TeamleaderClient],
    fake: FakeTeamleader,
    clock: PinnedClock,
    tl_settings: Settings,
    connected: object,
) -> None:
    fake.api("timeTracking.list").mock(side_effect=_sliding_server(clock, []))
    client = make_client(settings=tl_settings.model_copy(update={"rate_limit_reserve": 0.5}))
    sync = client.in_lane(Lane.BULK)
    for _ in range(100):
        sync.call("timeTracking.list", {})
    assert clock.sleeps == []
    sync.call("timeTracking.list", {})
    assert sum(clock.sleeps) > 55


def test_a_lane_view_counts_its_own_calls_and_closing_it_keeps_the_pool(
    make_client: Callable[..., TeamleaderClient],
    fake: FakeTeamleader,
    clock: PinnedClock,
    connected: object,
) -> None:
    fake.api("timeTracking.list").mock(side_effect=_sliding_server(clock, []))
    client = make_client()
    first, second = client.in_lane(Lane.BULK), client.in_lane(Lane.BULK)
    first.call("timeTracking.list", {})
    second.call("timeTracking.list", {})
    second.call("timeTracking.list", {})
    first.close()
    client.call("timeTracking.list", {})
    assert (first.api_calls, second.api_calls, client.api_calls) == (1, 2, 4)
