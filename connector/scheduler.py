"""The scheduler inside `prepaid serve`: APScheduler 3.11 with an in-memory job store in every instance.

A shared APScheduler 3 job store runs jobs several times when several processes use it
(../shared/ENGINEERING.md §2.2), so each instance schedules every job itself and, before a
cron job runs, claims its run slot (job, scheduled fire time) in the database: the primary key
lets exactly one instance run each firing. Interval jobs (inbox, outbox) need no slot: the
work they take is claimed row by row. Jobs also run once at start-up (catch-up).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from connector.clock import SYSTEM_CLOCK, Now
from connector.logging import get_logger
from connector.storage.locks import claim_run_slot, finish_run_slot

__all__ = ["JobSkipped", "ScheduledJob", "Scheduler", "latest_fire_time"]

log = get_logger(__name__)


class JobSkipped(Exception):
    """Raised by a job that had nothing it could do now (e.g. another sync holds the lock)."""


@dataclass(frozen=True)
class ScheduledJob:
    """A job: a cron expression (claimed per firing) or an interval in seconds (always runs)."""

    name: str
    run: Callable[[], Any]
    cron: str | None = None
    every_seconds: float | None = None


def latest_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The trigger's most recent scheduled time at or before `now` (the run slot's key)."""
    moment = trigger.get_next_fire_time(None, now - timedelta(hours=25))
    latest = None
    while moment is not None and moment <= now + timedelta(seconds=1):
        latest = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return latest


class Scheduler:
    """Runs the jobs in a background thread; one instance per process."""

    def __init__(
        self,
        engine: Engine,
        jobs: list[ScheduledJob],
        *,
        timezone: str = "UTC",
        clock: Now = SYSTEM_CLOCK.now,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._scheduler = BackgroundScheduler(
            timezone=timezone, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
        )
        for job in jobs:
            self._add(job)

    def _add(self, job: ScheduledJob) -> None:
        now = self._clock()
        if job.cron is not None:
            trigger = CronTrigger.from_crontab(job.cron, timezone=UTC)
            self._scheduler.add_job(
                self._claimed,
                trigger,
                args=[job, trigger],
                id=job.name,
                replace_existing=True,
                next_run_time=now,
            )
        elif job.every_seconds is not None:
            self._scheduler.add_job(
                self._unclaimed,
                IntervalTrigger(seconds=job.every_seconds),
                args=[job],
                id=job.name,
                replace_existing=True,
                next_run_time=now,
            )
        else:
            raise ValueError(f"job {job.name} needs a cron expression or an interval")

    def _claimed(self, job: ScheduledJob, trigger: CronTrigger) -> None:
        now = self._clock()
        fired = latest_fire_time(trigger, now)
        slot = (fired or now).strftime("%Y-%m-%dT%H:%M")
        with self._engine.begin() as conn:
            if not claim_run_slot(conn, job.name, slot, self._owner, now):
                log.debug("job.skipped", job=job.name, slot=slot, reason="claimed_elsewhere")
                return
        outcome, detail = "ok", None
        try:
            job.run()
        except JobSkipped as exc:
            outcome, detail = "skipped", str(exc)
            log.info("job.skipped", job=job.name, slot=slot, reason=str(exc))
        except Exception as exc:
            outcome, detail = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("job.failed", job=job.name, slot=slot)
        finally:
            with self._engine.begin() as conn:
                finish_run_slot(conn, job.name, slot, outcome, detail, now=self._clock())

    def _unclaimed(self, job: ScheduledJob) -> None:
        try:
            job.run()
        except JobSkipped:
            return
        except Exception:
            log.exception("job.failed", job=job.name)

    def start(self) -> None:
        """Start the background thread."""
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop scheduling and wait for running jobs to finish (graceful shutdown)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
