"""The scheduler: every instance schedules every job, the database lets one run each firing."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, select

from connector.scheduler import JobSkipped, ScheduledJob, Scheduler
from connector.storage.tables.ops import job_run


def _wait_for_rows(engine: Engine, count: int) -> list[tuple[str, str, str]]:
    deadline = time.monotonic() + 10
    while True:
        with engine.connect() as conn:
            rows = [
                tuple(r)
                for r in conn.execute(
                    select(job_run.c.job, job_run.c.owner, job_run.c.outcome).where(
                        job_run.c.finished_at.is_not(None)
                    )
                )
            ]
        if len(rows) >= count or time.monotonic() > deadline:
            return rows  # type: ignore[return-value]
        time.sleep(0.02)


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
    for scheduler in schedulers:
        scheduler.start()
    try:
        rows = _wait_for_rows(engine, 2)
        time.sleep(0.3)
    finally:
        for scheduler in schedulers:
            scheduler.shutdown()
    assert len(runs) == 1
    assert sorted(outcome for _, _, outcome in rows) == ["ok", "skipped"]
