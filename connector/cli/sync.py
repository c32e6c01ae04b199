"""`prepaid sync`: run a full or windowed sync now, with progress bars and a summary table.

Only one sync runs at a time per database. When another holds it (serve's scheduled sync, a cron
job beside it), this one waits for it, up to `--wait` seconds, and then runs and reports its own
result; if the other is still running then, it exits 0 saying so: a sync is already bringing the
copy up to date, which is a normal situation, not a failure. Exit 1 stays for real failures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from connector.cli.context import get_container
from connector.cli.output import err_console, print_json, print_table
from connector.clock import Clock
from connector.logging import get_logger
from connector.sync import SyncReport
from connector.sync.engine import Progress as ProgressCallback
from connector.sync.engine import SyncBusy

__all__ = ["DEFAULT_WAIT_SECONDS", "BusyOutcome", "print_report", "progress_bars", "run_when_free", "sync"]

DEFAULT_WAIT_SECONDS = 300.0
POLL_SECONDS = 1.0
_log = get_logger(__name__)


@dataclass(frozen=True)
class BusyOutcome:
    """Another sync was still running when the wait ended: this run did nothing, on purpose."""

    waited: float


def run_when_free(
    run: Callable[[], SyncReport],
    *,
    wait: float,
    clock: Clock,
    on_busy: Callable[[], None] | None = None,
) -> tuple[SyncReport | BusyOutcome, float]:
    """Run the sync, retrying while another holds the lock, for at most `wait` seconds.

    Returns the report (or `BusyOutcome`) and the seconds spent waiting before the run that went
    through (its own duration not included). `on_busy` is told once, the first time the lock is
    found taken.
    """
    began = clock.monotonic()
    told = False
    while True:
        attempt = clock.monotonic()
        try:
            report = run()
        except SyncBusy as exc:
            waited = clock.monotonic() - began
            if waited >= wait:
                return BusyOutcome(round(waited, 1)), waited
            if not told:
                _log.info("sync.waiting", wait_seconds=wait, reason=str(exc))
                if on_busy is not None:
                    on_busy()
                told = True
            clock.sleep(min(POLL_SECONDS, wait - waited))
            continue
        return report, attempt - began


@contextmanager
def progress_bars(enabled: bool) -> Iterator[ProgressCallback | None]:
    """Rich progress bars (rows fetched per resource) on a terminal; nothing otherwise."""
    if not enabled or not err_console.is_terminal:
        yield None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.completed:>8,} rows"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def advance(resource: str, rows: int) -> None:
            if resource not in tasks:
                tasks[resource] = bars.add_task(resource, total=None)
            bars.advance(tasks[resource], rows)

        yield advance


def print_report(report: SyncReport) -> None:
    """The summary table of a sync."""
    rows = [
        (r.resource, r.fetched, r.created, r.updated, r.deleted, r.api_calls, f"{r.seconds:.1f}s")
        for r in report.resources
    ]
    print_table(
        f"{report.kind} sync",
        ["resource", "fetched", "created", "updated", "deleted", "API calls", "time"],
        rows,
    )
    if report.unresolved_entries:
        err_console.print(f"[yellow]{report.unresolved_entries} time entries have no known customer[/]")


def sync(
    full: bool = typer.Option(False, "--full", help="Sync everything from scratch (else: windowed)."),
    since: str | None = typer.Option(
        None,
        "--since",
        help="With --full: sync time tracking from this date (YYYY-MM-DD) instead of PREPAID_SYNC_SINCE.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    wait: float = typer.Option(
        DEFAULT_WAIT_SECONDS,
        "--wait",
        min=0,
        help="Seconds to wait for a sync that is already running before running this one; if it is "
        "still running then, exit 0 saying so (0: do not wait).",
    ),
) -> None:
    """Sync customers and time tracking from Teamleader now."""
    start = None
    if since is not None:
        try:
            start = date.fromisoformat(since)
        except ValueError:
            raise typer.BadParameter(f"{since!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-01") from None
    container = get_container()
    engine = container.sync_engine(since=start)
    kind = "full" if full or start else "windowed"

    def announce() -> None:
        if not as_json:
            err_console.print(f"Another sync is running; waiting for it (up to {wait:g} s, --wait).")

    with progress_bars(not as_json) as progress:
        outcome, waited = run_when_free(
            lambda: engine.full(progress) if kind == "full" else engine.windowed(progress),
            wait=wait,
            clock=container.clock,
            on_busy=announce,
        )
    if isinstance(outcome, BusyOutcome):
        _print_busy(kind, outcome, as_json)
        return
    if as_json:
        print_json({**outcome.as_dict(), "waited_seconds": round(waited, 1), "skipped": False})
    else:
        if waited >= POLL_SECONDS:
            err_console.print(f"Waited {waited:.0f} s for the sync that was running.")
        print_report(outcome)


def _print_busy(kind: str, outcome: BusyOutcome, as_json: bool) -> None:
    """Exit 0: another sync is doing the work; say so (and what to change to wait longer)."""
    message = (
        f"A sync is already running (still after waiting {outcome.waited:g} s); it brings the copy up "
        "to date, so this run did nothing. Pass a longer --wait to wait for it."
    )
    if as_json:
        empty: dict[str, Any] = SyncReport(kind).as_dict()
        print_json({**empty, "waited_seconds": outcome.waited, "skipped": True, "reason": message})
    else:
        err_console.print(message)
