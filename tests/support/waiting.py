"""Waiting for what a test means, never for a length of time.

A test that sleeps and then asserts guesses how long the system needs: too short and it fails on a
slow or busy machine, too long and every run pays for the guess. `wait_until` instead polls for the
event itself (a database row, a state, a log line, an HTTP answer) at short intervals and returns as
soon as it is there, so a fast run is fast; the deadline only bounds how long a broken run hangs,
and it fails with a message that says what never happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["POLL_INTERVAL", "wait_until"]

T = TypeVar("T")

POLL_INTERVAL = 0.02
"""Seconds between two looks: short against anything a test waits for, long enough not to load
the machine that does the work being waited for."""


def wait_until(
    predicate: Callable[[], T | None],
    *,
    timeout: float,
    message: str | Callable[[], str],
    interval: float = POLL_INTERVAL,
) -> T:
    """Call `predicate` until it returns something truthy, and return that value.

    A predicate that has something to hand back (the rows it found) returns it, or None (or
    anything falsy) while it is not there yet; the caller then gets it without a second look.

    Fails with `AssertionError` once `timeout` seconds have passed without it; `message` says what
    did not happen (a callable is only called then, so it can read a log or a table for the
    failure report without slowing down the polling). The predicate is always tried once more at
    the deadline, so an event that arrived during the last pause still counts.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            text = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout:g} s: {text}")
        time.sleep(min(interval, remaining))
