"""The tests' one clock: a pinned instant that moves only when a test moves it.

Every test that needs "now" takes it from here: `PinnedClock()` stands at `PINNED_AT` unless the
test pins it elsewhere (`PinnedClock(at)`), and it is a product `connector.clock.Clock`, so it can be
handed to the container or to a service (services that take a `Now` accept the clock itself, it is
callable). End-to-end and browser tests run on the process clock instead and derive their dates
from the sandbox's anchor, so `make test-dates` can move them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from connector.clock import SYSTEM_CLOCK

__all__ = ["PINNED_AT", "PinnedClock", "process_now", "process_today"]

PINNED_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
"""Where a pinned test stands unless it says otherwise: a Friday morning, mid-month, in winter time."""


class PinnedClock:
    """A settable clock: `at` is the current instant; `sleep` moves it instead of waiting."""

    def __init__(self, at: datetime = PINNED_AT) -> None:
        if at.tzinfo is None:
            raise ValueError("PinnedClock needs a timezone-aware instant, e.g. datetime(..., tzinfo=UTC)")
        self.at = at
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.at

    def now(self) -> datetime:
        return self.at

    def time(self) -> float:
        return self.at.timestamp()

    def monotonic(self) -> float:
        return self.at.timestamp()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds=max(seconds, 0.0))

    def advance(self, **delta: Any) -> None:
        """Move forward by `timedelta(**delta)`, e.g. `advance(minutes=5)`."""
        self.at += timedelta(**delta)

    def tick(self, seconds: float = 1) -> None:
        self.advance(seconds=seconds)

    @classmethod
    def at_epoch(cls, seconds: float) -> PinnedClock:
        """A clock at `seconds` after the Unix epoch (for the client's epoch-second timestamps)."""
        return cls(datetime.fromtimestamp(seconds, UTC))


def process_now() -> datetime:
    """The process clock's instant, read through the product's clock: for tests whose product runs on
    it (a `prepaid` subprocess, the sandbox's tokens), so that `make test-dates` moves both together."""
    return SYSTEM_CLOCK.now()


def process_today(zone: tzinfo = UTC) -> date:
    """Today on the process clock in `zone`: the anchor of the sandboxes that end-to-end and browser
    tests run against."""
    return process_now().astimezone(zone).date()
