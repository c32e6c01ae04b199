"""The scheduler: every instance schedules every job, the database lets one run each firing."""

from __future__ import annotations

import threading
from collections.abc import Collection, MutableMapping
from typing import Any, TypeVar

from sqlalchemy import Engine, select
from structlog.testing import capture_logs
from support.waiting import wait_until

from connector.scheduler import JobSkipped, ScheduledJob, Scheduler
from connector.storage.tables.ops import job_run

C = TypeVar("C", bound=Collection[Any])


def _finished_rows(engine: Engine) -> list[tuple[str, str, str]]:
    """(job, slot, outcome) of every firing that an instance claimed and finished."""
    with engine.connect() as conn:
        return [
            (r.job, r.slot, r.outcome)
            for r in conn.execute(
                select(job_run.c.job, job_run.c.slot, job_run.c.outcome).where(
                    job_run.c.finished_at.is_not(None)
                )
            )
        ]


def _refused(logs: list[MutableMapping[str, Any]]) -> set[tuple[str, str]]:
    """(job, slot) of every firing that an instance found claimed by the other one."""
    return {
        (str(e["job"]), str(e["slot"]))
        for e in list(logs)
        if e.get("event") == "job.skipped" and e.get("reason") == "claimed_elsewhere"
    }


def _at_least(count: int, found: C) -> C | None:
    """`found` once it holds `count` items, else None (not yet), as `wait_until` wants it."""
    return found if len(found) >= count else None


def test_two_instances_run_a_firing_once_and_skips_are_recorded(engine: Engine) -> None:
    runs: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        with lock:
            runs.append(threading.current_thread().name)

    def busy() -> None:
        raise JobSkipped("another sync is running")

    schedulers = [
        Scheduler(
            engine,
            [ScheduledJob("work", work, cron="0 3 * * *"), ScheduledJob("busy", busy, cron="0 3 * * *")],
        )
        for _ in range(2)
    ]
    with capture_logs() as logs:
        for scheduler in schedulers:
            scheduler.start()
        try:
            # Both instances fire both jobs at start-up (catch-up). Done means: one instance has
            # finished each firing, and the other has tried the same firing and been refused, so
            # it had its chance to run `work` a second time and did not.
            rows = wait_until(
                lambda: _at_least(2, _finished_rows(engine)),
                timeout=10,
                message=lambda: f"two finished job_run rows, found {_finished_rows(engine)}",
            )
            refused = wait_until(
                lambda: _at_least(2, _refused(logs)),
                timeout=10,
                message=lambda: f"both firings refused to the other instance, found {_refused(logs)}",
            )
        finally:
            for scheduler in schedulers:
                scheduler.shutdown()
    assert len(runs) == 1
    assert sorted(outcome for _, _, outcome in rows) == ["ok", "skipped"]
    assert refused == {(job, slot) for job, slot, _ in rows}
