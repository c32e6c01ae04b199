"""Teamleader's rate limit: 200 requests per sliding 60 s per client (teamleader-api.md §2.3).

Every API answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
(an ISO-8601 timestamp: when the oldest counted request leaves the window). Over the limit the
request is refused with 429 and not counted, so a client that waits until Reset gets through.
With the limit switched off (tests, benchmarks) no rate-limit headers are sent at all.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from connector.sandbox.clock import Clock
from connector.sandbox.config import RuntimeSettings

__all__ = ["RateDecision", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    headers: list[tuple[bytes, bytes]]


class RateLimiter:
    def __init__(self, settings: RuntimeSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._windows: dict[str, deque[float]] = {}

    def reset(self) -> None:
        self._windows.clear()

    def hit(self, client_id: str) -> RateDecision:
        """Counts one request for `client_id` unless it is over the limit."""
        settings = self._settings
        now = self._clock.now().timestamp()
        window = self._windows.setdefault(client_id, deque())
        horizon = now - settings.rate_window
        while window and window[0] <= horizon:
            window.popleft()
        if not settings.rate_limit_enabled:
            return RateDecision(True, [])
        allowed = len(window) < settings.rate_limit
        if allowed:
            window.append(now)
        remaining = max(settings.rate_limit - len(window), 0)
        reset_at = (window[0] if window else now) + settings.rate_window
        reset = datetime.fromtimestamp(math.ceil(reset_at), UTC).isoformat()
        headers = [
            (b"x-ratelimit-limit", str(settings.rate_limit).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
            (b"x-ratelimit-reset", reset.encode()),
        ]
        return RateDecision(allowed, headers)
