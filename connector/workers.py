"""Background workers: a thread that runs one job in a loop, woken early by a poke.

The webhook inbox and the top-up outbox are drained this way: every few seconds, and at once
when the webhook receiver or the ledger pokes them. Stopping lets the current round finish, so
SIGTERM never leaves a half-processed batch behind (what was claimed is finished or released).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from connector.logging import get_logger

__all__ = ["LoopWorker"]

log = get_logger(__name__)


class LoopWorker:
    """Runs `job` until stopped; `job` returns how much it did (it runs again at once while > 0)."""

    def __init__(self, name: str, job: Callable[[], int], interval: float) -> None:
        self.name = name
        self._job = job
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._failures = 0

    def poke(self) -> None:
        """Run the job now instead of at the next interval."""
        self._wake.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to end after the current round, and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            done = self._round()
            if done == 0 or self._failures:
                self._wake.wait(min(self._interval * (2 ** min(self._failures, 5)), 60.0))

    def _round(self) -> int:
        try:
            done = self._job()
        except Exception:
            self._failures += 1
            log.exception("worker.failed", worker=self.name, consecutive_failures=self._failures)
            return 0
        self._failures = 0
        return done
