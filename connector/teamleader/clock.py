"""Time as the client sees it: a monotonic clock for pacing, wall time for header timestamps, sleep.

Injected everywhere that waits, so tests run the limiter, the backoff and token expiry on a fake
clock without sleeping.
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """What the client needs to know about time."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (pacing, backoff)."""

    def time(self) -> float:
        """Wall-clock epoch seconds (token expiry, `X-RateLimit-Reset`)."""

    def sleep(self, seconds: float) -> None:
        """Block the calling thread."""


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
