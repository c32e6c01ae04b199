"""`prepaid periods close`: close the periods of renewing budgets that have ended, now.

The same close as the scheduled job (`PREPAID_SCHEDULE_PERIOD_CLOSE`): idempotent, so running it
again, or while `prepaid serve` runs it too, closes each period once. A budget whose overage or
grant invoice waits on an earlier open invoice is listed as blocked, with what to do.
"""

from __future__ import annotations

import typer

from connector.cli.budgets import actor
from connector.cli.context import get_container
from connector.cli.output import console, print_json, print_table

__all__ = ["app"]

app = typer.Typer(help="Renewing budgets: close the periods that have ended.", no_args_is_help=True)


@app.command("close")
def close_command(
    budget: str | None = typer.Option(None, "--budget", help="Only this budget (default: every active one)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Grant the first period and close every ended period: closing, rollover or expiry,
    overage or write-off, and the next period's allowance."""
    report = get_container().period_closer(actor=actor()).close_due(budget)
    if as_json:
        print_json(report.as_dict())
        return
    for budget_id, period in report.opened:
        console.print(f"opened {period} of {budget_id} with its allowance")
    if report.closed:
        print_table(
            "Closed periods",
            ["budget", "period", "closing balance", "carried", "lines", "invoices planned"],
            (
                [c.budget_id, c.period, c.closing, c.carried, ", ".join(c.kinds), len(c.topup_ids)]
                for c in report.closed
            ),
        )
    for budget_id, why in report.blocked:
        console.print(f"[yellow]blocked[/yellow] {budget_id}: {why}")
    if not (report.opened or report.closed or report.blocked):
        console.print("no period has ended since the last close")
