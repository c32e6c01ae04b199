"""`prepaid sync --wait`: retry while another sync holds the lock, bounded, on the pinned clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.clock import PinnedClock

from connector.cli.sync import BusyOutcome, run_when_free
from connector.sync import SyncReport
from connector.sync.engine import SyncBusy


def _busy_for(
    clock: PinnedClock, seconds: float, runs_for: float
) -> tuple[list[int], Callable[[], SyncReport]]:
    """A sync whose lock is taken for `seconds`; once free, it runs for `runs_for` seconds."""
    free_at = clock.monotonic() + seconds
    attempts = [0]

    def run() -> SyncReport:
        attempts[0] += 1
        if clock.monotonic() < free_at:
            raise SyncBusy("another sync is running on this database")
        clock.advance(seconds=runs_for)
        return SyncReport("windowed")

    return attempts, run


def test_the_sync_runs_once_the_other_is_done_and_reports_the_wait_alone(clock: PinnedClock) -> None:
    attempts, run = _busy_for(clock, 12.5, runs_for=40)
    told: list[bool] = []
    outcome, waited = run_when_free(run, wait=300, clock=clock, on_busy=lambda: told.append(True))
    assert isinstance(outcome, SyncReport)
    assert waited == pytest.approx(13.0)
    assert told == [True]
    assert attempts[0] == 14


def test_the_wait_is_bounded_and_ends_as_busy(clock: PinnedClock) -> None:
    _, run = _busy_for(clock, 1_000, runs_for=0)
    outcome, waited = run_when_free(run, wait=30, clock=clock)
    assert outcome == BusyOutcome(30.0)
    assert waited == pytest.approx(30.0)


def test_no_wait_tries_once(clock: PinnedClock) -> None:
    attempts, run = _busy_for(clock, 10, runs_for=0)
    outcome, _ = run_when_free(run, wait=0, clock=clock)
    assert isinstance(outcome, BusyOutcome)
    assert attempts[0] == 1
    assert clock.sleeps == []


@pytest.fixture
def clock() -> PinnedClock:
    return PinnedClock()
