"""`prepaid sync`: run a full or windowed sync now, with progress bars and a summary table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from connector.cli.context import get_container
from connector.cli.output import err_console, print_json, print_table
from connector.sync import SyncReport
from connector.sync.engine import Progress as ProgressCallback

__all__ = ["print_report", "progress_bars", "sync"]


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
    with progress_bars(not as_json) as progress:
        report = engine.full(progress) if full or start else engine.windowed(progress)
    if as_json:
        print_json(report.as_dict())
    else:
        print_report(report)
