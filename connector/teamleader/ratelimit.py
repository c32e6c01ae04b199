"""Client-side pacing under Teamleader's rate limit (200 requests per sliding minute).

The cheapest 429 is the one never provoked: `RateLimiter.acquire()` is called before every request
and blocks while the last minute already holds `limit` requests. Every response feeds the limiter
its `X-RateLimit-*` headers: when Teamleader counts more requests than this process sent (another
instance or tool shares the integration), the window is padded to match (the extra requests spread
between the oldest one, which `Reset` dates, and now), and at `Remaining: 0` the limiter blocks
until `Reset`. One limiter per process, shared by all threads.

`X-RateLimit-Reset` is documented as ISO-8601 (`2021-06-15T10:51:23.035+0100`, no colon in the
offset); third-party clients report epoch seconds; both are accepted, with a 60 s fallback.
`Retry-After` (seconds or an HTTP date) is honoured too, although Teamleader does not document it.

The minute is shared by priority (`Lane`): urgent calls (webhook batches, top-ups, login) may use
all of it; bulk calls (windowed and full syncs, write-back) stop at `(1 - reserve)` of the limit,
so a share of every sliding minute stays free for the urgent ones even while a sync streams. The
count the bulk lane compares against is the padded one, so a `prepaid sync` from cron beside
`prepaid serve` leaves the reserve too: each process learns the other's requests from
Teamleader's `X-RateLimit-Remaining`, the one count both see.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

from connector.clock import Clock

__all__ = ["DEFAULT_RESERVE", "Lane", "RateLimitStatus", "RateLimiter", "parse_reset", "parse_retry_after"]

WINDOW_SECONDS = 60.0
# Our send time precedes Teamleader's count by the network latency; a small margin keeps the two
# windows from disagreeing at the edge.
EDGE_MARGIN_SECONDS = 0.25
FALLBACK_WAIT_SECONDS = 60.0
MAX_WAIT_SECONDS = 120.0
EPOCH_THRESHOLD = 1_000_000_000
DEFAULT_RESERVE = 0.25


class Lane(StrEnum):
    """Who a call is for, which decides how much of the minute it may use."""

    URGENT = "urgent"
    """Webhook batches, top-ups, login and anything a person waits for: the whole limit."""
    BULK = "bulk"
    """Windowed and full syncs, write-back: at most `(1 - reserve)` of the limit."""


@dataclass(frozen=True)
class RateLimitStatus:
    """The rate-limit headers of the last response, for statistics and the dashboard."""

    limit: int | None
    remaining: int | None
    reset_in: float | None
    retry_after: float | None


def parse_reset(value: str | None, wall_now: float) -> float | None:
    """Seconds until `X-RateLimit-Reset`: ISO-8601 first, then epoch seconds (or a small delta)."""
    if not value:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        seconds = number - wall_now if number >= EPOCH_THRESHOLD else number
        return _bounded(seconds)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _bounded(moment.timestamp() - wall_now)


def parse_retry_after(value: str | None, wall_now: float) -> float | None:
    """Seconds from a `Retry-After` header (a number of seconds or an HTTP date)."""
    if not value:
        return None
    text = value.strip()
    try:
        return _bounded(float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return _bounded(moment.timestamp() - wall_now)


def _bounded(seconds: float) -> float:
    return min(max(seconds, 0.0), MAX_WAIT_SECONDS)


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def read_status(headers: Mapping[str, str], wall_now: float) -> RateLimitStatus:
    """The rate-limit facts in one response's headers (names are case-insensitive in httpx)."""
    return RateLimitStatus(
        limit=_int_header(headers, "X-RateLimit-Limit"),
        remaining=_int_header(headers, "X-RateLimit-Remaining"),
        reset_in=parse_reset(headers.get("X-RateLimit-Reset"), wall_now),
        retry_after=parse_retry_after(headers.get("Retry-After"), wall_now),
    )


class RateLimiter:
    """A sliding-window limiter fed by Teamleader's headers; thread-safe."""

    def __init__(self, limit_per_minute: int, clock: Clock, *, reserve: float = DEFAULT_RESERVE) -> None:
        if not 0.0 <= reserve < 1.0:
            raise ValueError(f"the urgent reserve is a share of the minute in [0, 1), not {reserve}")
        self._configured = limit_per_minute
        self._limit = limit_per_minute
        self._reserve = reserve
        self._clock = clock
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = threading.Lock()
        self._waited: dict[Lane, float] = dict.fromkeys(Lane, 0.0)
        self.last_status: RateLimitStatus | None = None

    @property
    def limit(self) -> int:
        """The limit in force: the configured one, or Teamleader's if that is lower."""
        return self._limit

    def cap(self, lane: Lane) -> int:
        """Requests `lane` may have in the sliding minute: all of it, or all but the reserve."""
        if lane is Lane.URGENT:
            return self._limit
        return max(1, math.floor(self._limit * (1.0 - self._reserve)))

    def waited_seconds(self) -> dict[str, float]:
        """Seconds each lane spent held back so far (statistics, the latency benchmark)."""
        with self._lock:
            return {lane.value: round(self._waited[lane], 3) for lane in Lane}

    def acquire(self, lane: Lane = Lane.URGENT) -> None:
        """Block until one more request of `lane` fits in the window, then count it."""
        while True:
            with self._lock:
                now = self._clock.monotonic()
                self._expire(now)
                cap = self.cap(lane)
                if self._blocked_until > now:
                    wait = self._blocked_until - now
                elif len(self._sent) >= cap:
                    # The request that must leave before this lane fits again is the (n - cap + 1)-th oldest.
                    wait = self._sent[len(self._sent) - cap] + WINDOW_SECONDS + EDGE_MARGIN_SECONDS - now
                else:
                    self._sent.append(now)
                    return
                wait = max(wait, 0.001)
                self._waited[lane] += wait
            self._clock.sleep(wait)

    def observe(self, headers: Mapping[str, str]) -> RateLimitStatus:
        """Adopt what a response says about the budget; returns the parsed headers."""
        status = read_status(headers, self._clock.time())
        with self._lock:
            self.last_status = status
            now = self._clock.monotonic()
            self._expire(now)
            if status.limit is not None and status.limit > 0:
                self._limit = min(self._configured, status.limit)
            if status.remaining is not None:
                counted = (status.limit or self._limit) - status.remaining
                missing = min(counted, self._limit) - len(self._sent)
                if missing > 0:
                    self._pad(missing, now, status.reset_in)
                if status.remaining <= 0:
                    wait = status.reset_in if status.reset_in is not None else FALLBACK_WAIT_SECONDS
                    self._blocked_until = max(self._blocked_until, now + wait)
        return status

    def block_for(self, seconds: float) -> None:
        """Hold every thread back for `seconds` (after a 429)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock.monotonic() + seconds)

    def _pad(self, missing: int, now: float, reset_in: float | None) -> None:
        """Count requests Teamleader saw from elsewhere, spread from the oldest (per Reset) to now."""
        first = now if reset_in is None else max(now - WINDOW_SECONDS + min(reset_in, WINDOW_SECONDS), 0.0)
        step = (now - first) / missing
        merged = sorted([*self._sent, *(first + step * index for index in range(missing))])
        self._sent = deque(merged)

    def _expire(self, now: float) -> None:
        horizon = now - WINDOW_SECONDS - EDGE_MARGIN_SECONDS
        while self._sent and self._sent[0] <= horizon:
            self._sent.popleft()
