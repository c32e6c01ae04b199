"""The composition root: builds settings, logging, the database engine and the services from them.

The command line, `prepaid serve` and the tests all go through `bootstrap()`, so each runs the
same wiring; tests pass their own `Settings` and `Clock` instead of patching globals. The container
holds the process's one clock and hands it to every service it builds.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Engine

from connector.budgets import BudgetsService
from connector.budgets.invoicing_ports import LedgerCredits, StoredBudgets
from connector.budgets.periods import PeriodCloser
from connector.budgets.sharding import default_workers
from connector.budgets.web_adapter import BudgetsWebAdapter
from connector.budgets.web_topups import BudgetsTopupDesk
from connector.budgets.writeback import BalanceWriteback
from connector.clock import SYSTEM_CLOCK, Clock
from connector.invoicing import TopupReconciler, TopupWorker
from connector.invoicing.notify import Notifier
from connector.invoicing.teamleader_api import TeamleaderInvoices
from connector.logging import configure_logging, register_secret
from connector.settings import Settings, load_settings
from connector.storage import create_db_engine, current_revision, head_revision, upgrade
from connector.sync import SyncEngine
from connector.sync.inbox import InboxProcessor
from connector.teamleader import Lane, TeamleaderClient, build_client

__all__ = ["Container", "bootstrap"]


@dataclass
class Container:
    """Everything a command or the web app needs, built once per process."""

    settings: Settings
    engine: Engine
    clock: Clock = field(default=SYSTEM_CLOCK)
    _client: TeamleaderClient | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closed: bool = field(default=False, repr=False)
    _writeback: BalanceWriteback | None = field(default=None, repr=False)

    def close(self) -> None:
        """Release connections (idempotent)."""
        if not self._closed:
            if self._client is not None:
                self._client.close()
            self.engine.dispose()
            self._closed = True

    def teamleader(self) -> TeamleaderClient:
        """The process's Teamleader client (built on first use: it needs the client id and secret)."""
        with self._lock:
            if self._client is None:
                self._client = build_client(self.settings, self.engine, clock=self.clock)
            return self._client

    def notifier(self) -> Notifier:
        """Notifications: logged, and posted to PREPAID_NOTIFY_URL when set."""
        return Notifier(self.settings.notify_url)

    def budgets(self) -> BudgetsService:
        """The budgets service (ledger, choices, balances) on this database."""
        workers = self.settings.apply_workers or default_workers()
        return BudgetsService(
            self.engine, clock=self.clock.now, notifier=self.notifier(), apply_workers=workers
        )

    def period_closer(self, actor: str = "periods") -> PeriodCloser:
        """Closes the periods of renewing budgets that have ended (scheduled, or `prepaid periods close`)."""
        return PeriodCloser(self.engine, clock=self.clock.now, actor=actor)

    def web_adapter(self) -> BudgetsWebAdapter:
        """The budgets service as the dashboard's read model and actions."""
        return BudgetsWebAdapter(self.budgets())

    def topup_desk(self) -> BudgetsTopupDesk:
        """The dashboard's top-ups page: the outbox, and `prepaid topups retry|cancel` behind buttons."""
        return BudgetsTopupDesk(
            self.engine, clock=self.clock.now, invoices=lambda: TeamleaderInvoices(self.teamleader())
        )

    def topup_worker(self, name: str | None = None) -> TopupWorker:
        """The worker that turns planned top-ups into Teamleader invoices, exactly once, several at
        once, retrying and holding them as the PREPAID_TOPUP_* settings say."""
        settings = self.settings
        return TopupWorker(
            self.engine,
            TeamleaderInvoices(self.teamleader()),
            StoredBudgets(),
            LedgerCredits(),
            notifier=self.notifier(),
            name=name,
            clock=self.clock.now,
            concurrency=settings.topup_concurrency,
            max_attempts=settings.topup_max_attempts,
            backoff=timedelta(seconds=settings.topup_retry_seconds),
            max_backoff=timedelta(seconds=settings.topup_retry_max_seconds),
            resend_after=timedelta(seconds=settings.topup_resend_after_seconds),
        )

    def write_back(self) -> int:
        """One write-back run (balances to the PREPAID_WRITEBACK_FIELD custom field); the calls made."""
        field = self.settings.writeback_field
        if not field:
            return 0
        client = self.teamleader()
        with self._lock:
            if self._writeback is None:
                self._writeback = BalanceWriteback(
                    self.engine, client.in_lane(Lane.BULK), field, clock=self.clock.now
                )
            job = self._writeback
        return job.run_once()

    def topup_reconciler(self) -> TopupReconciler:
        """Credits and reversals from invoice events, and the polling fallback."""
        return TopupReconciler(
            self.engine,
            TeamleaderInvoices(self.teamleader()),
            StoredBudgets(),
            LedgerCredits(),
            notifier=self.notifier(),
            clock=self.clock.now,
        )

    def entries_changed(self, entry_ids: Sequence[str]) -> None:
        """Where the sync hands changed time entries: the budgets service re-evaluates them."""
        self.budgets().apply_entries(entry_ids)

    def sync_engine(self, since: date | None = None, window_days: int | None = None) -> SyncEngine:
        """A sync engine on this database, its calls in the client's bulk lane.

        The bulk lane leaves PREPAID_RATE_LIMIT_RESERVE of every minute to webhook batches and
        top-ups; the engine's API-call figures count its own requests only. `window_days` (default
        PREPAID_SYNC_WINDOW_DAYS) is how far back a windowed run re-scans time tracking.
        """
        default_since = self.settings.sync_since or (self.clock.now().date() - timedelta(days=365))
        return SyncEngine(
            self.engine,
            self.teamleader().in_lane(Lane.BULK),
            since=since or default_since,
            window_days=window_days or self.settings.sync_window_days,
            on_entries_changed=self.entries_changed,
            clock=self.clock,
            lookup_seconds=self.settings.customer_lookup_seconds,
            link_max_age=timedelta(hours=self.settings.customer_link_max_age_hours),
        )

    def inbox(self) -> InboxProcessor:
        """The webhook inbox processor: sync events update the copy, invoice events the top-ups."""
        reconciler = self.topup_reconciler()
        return InboxProcessor(
            self.engine,
            self.teamleader(),
            on_entries_changed=self.entries_changed,
            clock=self.clock,
            lookup_seconds=self.settings.customer_lookup_seconds,
            link_max_age=timedelta(hours=self.settings.customer_link_max_age_hours),
            handlers={
                "invoice": reconciler.handle_invoice_events,
                "creditNote": reconciler.handle_credit_note_events,
            },
        )

    def drain_inbox(self) -> int:
        """One round of the inbox worker: events a killed worker had claimed go back, then a batch."""
        inbox = self.inbox()
        inbox.requeue_stale()
        return inbox.process()

    def recent_window_days(self) -> int:
        """Days the frequent scheduled sync re-scans: PREPAID_SYNC_RECENT_DAYS, at most the full window."""
        return min(self.settings.sync_recent_days, self.settings.sync_window_days)

    def reconcile(self, window_days: int | None = None) -> dict[str, object]:
        """One full cycle now: windowed sync, rules, thresholds, invoice states, top-ups.

        `window_days` defaults to the full window (PREPAID_SYNC_WINDOW_DAYS); the scheduled run in
        `prepaid serve` passes the short one.
        """
        sync = self.sync_engine(window_days=window_days).windowed()
        applied = self.budgets().reconcile()
        polled = self.topup_reconciler().poll_open_topups()
        drafted = self.topup_worker().run_once()
        return {
            "sync": sync.as_dict(),
            "entries": dict(applied.outcomes),
            "crossings": len(applied.crossings),
            "topups_polled": polled,
            "topups_driven": drafted,
        }

    def refresh_token_ahead(self) -> bool:
        """Refresh the access token when it expires within 15 minutes (scheduled keep-alive)."""
        return self.teamleader().refresh_token_if_expiring(15 * 60)

    def schema_is_current(self) -> bool:
        """True when the database has every migration this code knows."""
        return current_revision(self.engine) == head_revision()


def bootstrap(
    settings: Settings | None = None,
    *,
    migrate: bool = True,
    configure_logs: bool = True,
    clock: Clock = SYSTEM_CLOCK,
) -> Container:
    """Build the container; by default apply pending migrations (as `serve` and the demo need)."""
    settings = settings or load_settings()
    if configure_logs:
        configure_logging(settings.log_format, settings.log_level)
    if settings.teamleader_client_secret is not None:
        register_secret(settings.teamleader_client_secret.get_secret_value())
    if settings.secret_key is not None:
        register_secret(settings.secret_key.get_secret_value())
    url = settings.resolved_database_url
    # On PostgreSQL each top-up in flight holds a connection for its advisory lock beside the one
    # its transactions use: the pool grows with PREPAID_TOPUP_CONCURRENCY.
    pool = {"max_overflow": 10 + 2 * settings.topup_concurrency} if url.startswith("postgresql") else {}
    engine = create_db_engine(url, **pool)
    if migrate:
        upgrade(engine)
    return Container(settings=settings, engine=engine, clock=clock)
