"""The product's one clock: every "now" the connector uses comes from here.

Sync windows, periods, forecasts, statements, link and token expiry, leases and the scheduler all
read the `Clock` that the composition root holds (`Container.clock`), so a test moves time for the
whole product by passing its own clock, and nothing reads the wall clock behind its back. Services
that only need the current instant take `clock.now` (a `Now`); the Teamleader client also needs a
monotonic clock for pacing and a way to wait, so the protocol carries those too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["SYSTEM_CLOCK", "Clock", "Now", "SystemClock"]

Now = Callable[[], datetime]
"""The current instant, timezone-aware UTC."""


class Clock(Protocol):
    """What the product needs to know about time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def time(self) -> float:
        """The current instant as epoch seconds (token expiry, `X-RateLimit-Reset`)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (pacing, back-off, durations)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
"""The clock a process uses unless its composition root is given another."""
