"""`prepaid topups`: list top-up invoices, retry one now, cancel one before its invoice is booked."""

from __future__ import annotations

from typing import Any

import typer

from connector.billing import Money
from connector.cli.context import get_container
from connector.cli.output import console, money_json, print_json, print_table
from connector.invoicing import Topup, TopupOperator, TopupStatus
from connector.invoicing.teamleader_api import TeamleaderInvoices
from connector.teamleader import build_client

app = typer.Typer(help="Top-up invoices: list, retry, cancel.", no_args_is_help=True)


def _operator(*, with_client: bool, read_only: bool = False) -> TopupOperator:
    container = get_container(read_only=read_only)
    if not with_client:
        return TopupOperator(container.engine)
    client = build_client(container.settings, container.engine)
    return TopupOperator(container.engine, TeamleaderInvoices(client))


def _as_dict(topup: Topup) -> dict[str, Any]:
    return {
        "id": topup.id,
        "budget_id": topup.budget_id,
        "kind": topup.kind,
        "status": topup.status.value,
        "amount_cents": topup.amount_cents,
        "currency": topup.currency,
        "amount": money_json(Money.from_cents(topup.amount_cents, topup.currency))
        if topup.currency
        else None,
        "amount_display": _amount(topup),
        "quantity_seconds": topup.quantity_seconds,
        "marker": topup.marker,
        "invoice_id": topup.invoice_id,
        "invoice_number": topup.invoice_number,
        "attempts": topup.attempts,
        "last_error": topup.last_error,
        "reason": topup.reason,
        "next_attempt_at": topup.next_attempt_at,
        "created_at": topup.created_at,
        "updated_at": topup.updated_at,
        "booked_at": topup.booked_at,
        "credited_at": topup.credited_at,
        "reversed_at": topup.reversed_at,
    }


def _amount(topup: Topup) -> str:
    whole, cents = divmod(topup.amount_cents, 100)
    return f"{topup.currency or ''} {whole:,}.{cents:02d}".strip()


@app.command("list")
def list_command(
    budget: str | None = typer.Option(None, "--budget", help="Only this budget's top-ups."),
    status: str | None = typer.Option(None, "--status", help="Only top-ups in this state, e.g. failed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List top-ups, newest first, with their invoice and last error."""
    topups = _operator(with_client=False, read_only=True).list(budget_id=budget, status=status)
    if as_json:
        print_json([_as_dict(topup) for topup in topups])
        return
    print_table(
        "Top-ups",
        ["id", "budget", "status", "amount", "invoice", "marker", "created", "last error"],
        (
            [
                topup.id,
                topup.budget_id,
                topup.status.value + (" (reversed)" if topup.reversed_at else ""),
                _amount(topup),
                topup.invoice_number or topup.invoice_id,
                topup.marker,
                topup.created_at.strftime("%Y-%m-%d %H:%M"),
                topup.last_error,
            ]
            for topup in topups
        ),
        ids=["id", "budget", "invoice", "marker", "created"],
    )


@app.command("retry")
def retry_command(
    topup_id: str = typer.Argument(..., help="The top-up's id (see `prepaid topups list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the top-up as JSON (as `topups list` does)."),
) -> None:
    """Make a failed top-up resume where it failed (after the cause is fixed), or a waiting one due now."""
    topup = _operator(with_client=False).retry(topup_id)
    if as_json:
        print_json(_as_dict(topup))
        return
    console.print(f"top-up {topup.id} is {topup.status.value} and due now; the worker picks it up next.")


@app.command("cancel")
def cancel_command(
    topup_id: str = typer.Argument(..., help="The top-up's id (see `prepaid topups list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the top-up as JSON (as `topups list` does)."),
) -> None:
    """Cancel a top-up before its invoice is booked; its draft is deleted in Teamleader."""
    planned = _operator(with_client=False).get(topup_id).status is TopupStatus.PLANNED
    topup = _operator(with_client=not planned).cancel(topup_id)
    if as_json:
        print_json(_as_dict(topup))
        return
    console.print(f"top-up {topup.id} cancelled; no invoice remains for it in Teamleader.")
