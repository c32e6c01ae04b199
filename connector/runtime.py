"""`prepaid serve` assembled: the web app, the webhook receiver, the workers and the scheduler in one process.

Start-up checks the database (reachable, migrated) and says how to connect Teamleader when no
token is stored; the app still serves the dashboard then, and the jobs that need Teamleader log
one clear line instead of failing noisily. The workers and the scheduler live inside the web
app's lifespan: uvicorn starts them with the app and, on SIGTERM or Ctrl-C, after the last
request, the scheduler stops and each worker finishes its current round (uvicorn then re-raises
the signal, so the process ends as terminated by it, as supervisors expect).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select, text
from starlette.concurrency import run_in_threadpool

from connector.bootstrap import Container
from connector.errors import PrepaidError
from connector.invoicing import TopupStatus
from connector.logging import get_logger
from connector.metrics import INBOX_PENDING, TOPUPS_BY_STATE
from connector.scheduler import JobSkipped, ScheduledJob, Scheduler
from connector.storage.tables.invoicing import topup
from connector.storage.tables.sync import webhook_inbox
from connector.storage.token_store import TokenStore
from connector.sync import SyncReport
from connector.sync.engine import SyncBusy
from connector.sync.subscription import webhook_secret
from connector.teamleader import ReauthorizationRequired
from connector.web.app import create_app
from connector.web.health import CheckResult
from connector.web.webhooks import webhook_router
from connector.workers import LoopWorker

__all__ = ["Runtime", "StartupError", "startup_problems"]

log = get_logger(__name__)


class StartupError(PrepaidError):
    """`prepaid serve` cannot start; the message says what to fix."""


def startup_problems(container: Container) -> list[str]:
    """What blocks start-up (database), as messages a person can act on."""
    try:
        with container.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return [
            f"the database at {container.engine.url.render_as_string(hide_password=True)} is not "
            f"reachable ({type(exc).__name__}); check PREPAID_DATABASE_URL"
        ]
    if not container.schema_is_current():
        return ["the database schema is not up to date; run `prepaid db upgrade`"]
    return []


def _guarded(name: str, run: Callable[[], Any]) -> Callable[[], Any]:
    """A job that logs one line when Teamleader is not connected, instead of a stack trace."""

    def job() -> Any:
        try:
            return run()
        except ReauthorizationRequired as exc:
            log.warning("job.needs_connection", job=name, hint=str(exc))
            return 0
        except SyncBusy as exc:
            raise JobSkipped(str(exc)) from None

    return job


def _logged_sync(name: str, run: Callable[[], SyncReport]) -> Callable[[], SyncReport]:
    """A scheduled sync that logs what it cost: the API-cost table of the README is read from these."""

    def job() -> SyncReport:
        report = run()
        log.info(
            "sync.finished",
            job=name,
            kind=report.kind,
            api_calls=report.api_calls,
            seconds=round(sum(r.seconds for r in report.resources), 1),
            changed_entries=len(report.changed_entry_ids),
        )
        return report

    return job


@dataclass
class Runtime:
    """Everything `prepaid serve` runs, built from one container."""

    container: Container
    app: FastAPI = field(init=False)
    workers: list[LoopWorker] = field(init=False, default_factory=list)
    scheduler: Scheduler = field(init=False)

    def __post_init__(self) -> None:
        problems = startup_problems(self.container)
        if problems:
            raise StartupError("; ".join(problems))
        container, settings = self.container, self.container.settings
        store = TokenStore.from_settings(settings, container.engine)
        if store.load() is None:
            log.warning("teamleader.not_connected", hint="run `prepaid auth login` to connect Teamleader")
        name = f"serve@{socket.gethostname()}:{settings.port}"
        inbox_worker = LoopWorker(
            "inbox", _guarded("inbox", container.drain_inbox), settings.worker_interval_seconds
        )
        topup_worker = LoopWorker(
            "topups",
            _guarded("topups", lambda: container.topup_worker(name).run_once()),
            settings.worker_interval_seconds,
        )
        writeback = LoopWorker(
            "writeback", _guarded("writeback", container.write_back), settings.writeback_interval_seconds
        )
        self.workers = [inbox_worker, topup_worker, writeback]
        receiver = webhook_router(
            container.engine,
            webhook_secret(settings),
            account_id=lambda: _account_id(store),
            poke=inbox_worker.poke,
            clock=container.clock.now,
        )
        adapter = container.web_adapter()
        self.app = create_app(
            container,
            read_model=adapter,
            actions=adapter,
            token_check=lambda: _token_state(store),
            on_scrape=lambda: _scrape(container),
            routers=[receiver],
        )
        self.scheduler = Scheduler(
            container.engine,
            [
                ScheduledJob(
                    "windowed-sync",
                    _guarded("windowed-sync", lambda: _recent_cycle(container)),
                    cron=settings.schedule_sync,
                ),
                ScheduledJob(
                    "full-window-sync",
                    _guarded(
                        "full-window-sync",
                        _logged_sync("full-window-sync", lambda: container.sync_engine().windowed()),
                    ),
                    cron=settings.schedule_full_window_sync,
                ),
                ScheduledJob(
                    "full-sync",
                    _guarded("full-sync", _logged_sync("full-sync", lambda: container.sync_engine().full())),
                    cron=settings.schedule_full_sync,
                ),
                ScheduledJob(
                    "token-refresh",
                    _guarded("token-refresh", container.refresh_token_ahead),
                    cron=settings.schedule_token_refresh,
                ),
                ScheduledJob(
                    "period-close",
                    lambda: container.period_closer().close_due(),
                    cron=settings.schedule_period_close,
                ),
            ],
            clock=container.clock.now,
        )

        inner = self.app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
            async with inner(app) as state:
                self.start()
                try:
                    yield state
                finally:
                    await run_in_threadpool(self.stop)

        self.app.router.lifespan_context = lifespan

    def start(self) -> None:
        """Start the workers and the scheduler (the web app is served by uvicorn)."""
        for worker in self.workers:
            worker.start()
        self.scheduler.start()

    def stop(self) -> None:
        """Graceful stop: no new runs, current rounds finish."""
        self.scheduler.shutdown()
        for worker in self.workers:
            worker.stop()


def _recent_cycle(container: Container) -> dict[str, object]:
    """The frequent scheduled cycle: the short window, rules, thresholds, top-ups; logs its sync's cost."""
    cycle = container.reconcile(window_days=container.recent_window_days())
    sync = cycle["sync"]
    if isinstance(sync, dict):
        log.info(
            "sync.finished",
            job="windowed-sync",
            kind=sync.get("kind"),
            api_calls=sync.get("api_calls"),
            changed_entries=sync.get("changed_entries"),
        )
    return cycle


def _account_id(store: TokenStore) -> str | None:
    stored = store.load()
    return stored.account_id if stored is not None else None


def _token_state(store: TokenStore) -> CheckResult:
    stored = store.load()
    if stored is None:
        return CheckResult(False, "not connected to Teamleader: run `prepaid auth login`")
    if stored.needs_reauthorization:
        return CheckResult(False, "Teamleader refused the stored token: run `prepaid auth login`")
    return CheckResult(True)


def _scrape(container: Container) -> None:
    """Gauges that are cheapest to read when scraped: inbox depth and top-ups by state."""
    with container.engine.connect() as conn:
        INBOX_PENDING.set(
            conn.execute(
                select(func.count()).select_from(webhook_inbox).where(webhook_inbox.c.status == "pending")
            ).scalar_one()
        )
        rows = conn.execute(select(topup.c.status, func.count()).group_by(topup.c.status)).all()
    counts: dict[str, int] = {str(row[0]): int(row[1]) for row in rows}
    for state in TopupStatus:
        TOPUPS_BY_STATE.labels(state=state.value).set(counts.get(state.value, 0))
