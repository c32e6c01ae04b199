"""`prepaid entries list` and `prepaid subtract|exclude|undo`: time entries and people's choices.

The list also shows, read-only with state `invoiced`, the entries of a budget's customer and dates
that Teamleader invoiced itself (or settled with its own prepaid): they are never subtracted, and
a choice on one is refused with the reason and the invoice.

Flagged subtractions (Teamleader invoiced the time too) are answered with
`prepaid entries keep ID...` or `prepaid entries reverse ID...`; nothing else reverses them.

A choice takes entry ids, a date range (`--from/--to`), or `--all-pending`, optionally within
one budget; it is all or nothing. An entry another process chose first is reported with who
chose it; a race lost in mid-write changes nothing and exits with code 1.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from connector.billing import Money, UnitKind
from connector.budgets import Choice, Selection
from connector.budgets.flagged import FlagChoice, resolve_flagged
from connector.budgets.invoiced import listed_entries
from connector.budgets.reports import INVOICED, EntryRow
from connector.cli.budgets import actor
from connector.cli.context import get_container
from connector.cli.output import console, err_console, measure_json, money_json, print_json, print_table
from connector.errors import UserInputError
from connector.storage.tables.budgets import budget
from connector.sync.mapping import UNRESOLVED
from connector.sync.unresolved import UnresolvedEntry, unresolved_entries

__all__ = ["app", "register"]

app = typer.Typer(help="Time entries and their state in each budget.", no_args_is_help=True)

_STATES = ("pending", "subtracted", "excluded", INVOICED, UNRESOLVED)


def _money(r: EntryRow, currency: str) -> str:
    if r.state == INVOICED:
        return "-"
    return "needs a rate" if r.amount_cents is None else Money.from_cents(r.amount_cents, currency).format()


def _entry_json(r: EntryRow, currency: str) -> dict[str, Any]:
    rate = None if r.rate_cents is None else Money.from_cents(r.rate_cents, currency)
    amount = None if r.amount_cents is None else Money.from_cents(r.amount_cents, currency)
    return {
        "budget": r.budget_id,
        "entry": r.entry_id,
        "state": r.state,
        "day": r.day,
        "person": r.person,
        "work_type": r.work_type,
        "description": r.description,
        "duration_seconds": r.duration_seconds,
        "rounded_seconds": r.rounded_seconds,
        "rate": None if rate is None else money_json(rate),
        "amount": None if amount is None else money_json(amount),
        "rate_display": None if rate is None else rate.format(),
        "amount_display": None if amount is None else amount.format(),
        "needs_rate": r.needs_rate,
        "flags": list(r.flags),
        "note": r.note,
        "teamleader_billing_type": r.billing_type,
        "teamleader_invoice_id": r.invoice_id,
    }


@app.command("list")
def list_entries(
    budget_id: str | None = typer.Option(None, "--budget", help="Only this budget's entries."),
    customer: str | None = typer.Option(None, "--customer", help="company:<id> or contact:<id>."),
    state: str | None = typer.Option(
        None,
        "--state",
        help="pending, subtracted, excluded, invoiced (Teamleader invoiced it: read-only) or unresolved "
        "(its customer lookup failed: in no budget yet, the next sync retries it).",
    ),
    flagged: bool = typer.Option(
        False, "--flagged", help="Only subtracted entries Teamleader settled another way."
    ),
    limit: int = typer.Option(500, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Time entries with their state, value and flags, newest first; those Teamleader invoiced
    itself are listed as invoiced (read-only: never subtracted), with the invoice when known."""
    if state is not None and state not in _STATES:
        raise UserInputError(f"--state {state!r}: use one of {', '.join(_STATES)}")
    if state == UNRESOLVED:
        _list_unresolved(budget_id is not None or customer is not None or flagged, limit, as_json)
        return
    who = None
    if customer is not None:
        kind, _, ident = customer.partition(":")
        if kind not in ("company", "contact") or not ident:
            raise UserInputError(f"--customer {customer!r}: write company:<id> or contact:<id>")
        who = (kind, ident)
    engine = get_container(read_only=True).engine
    with engine.connect() as conn:
        rows = listed_entries(
            conn, budget_id=budget_id, customer=who, state=state, flagged=flagged, limit=limit
        )
        currencies = dict(
            conn.execute(budget.select().with_only_columns(budget.c.id, budget.c.currency)).all()
        )
    if as_json:
        print_json([_entry_json(r, currencies.get(r.budget_id, "EUR")) for r in rows])
        return
    print_table(
        "Time entries",
        ["budget", "entry", "day", "state", "person", "work type", "hours", "amount", "flags", "description"],
        [
            (
                r.budget_id,
                r.entry_id,
                r.day,
                r.state,
                r.person,
                r.work_type,
                f"{r.counted_seconds / 3600:.2f}",
                _money(r, currencies.get(r.budget_id, "EUR")),
                (r.note or "") if r.state == INVOICED else ", ".join(r.flags),
                r.description[:50],
            )
            for r in rows
        ],
        ids=["budget", "entry", "day"],
    )


def _list_unresolved(filtered: bool, limit: int, as_json: bool) -> None:
    """Entries whose customer is not known yet; they belong to no budget or customer, hence no filter."""
    if filtered:
        raise UserInputError(
            "--state unresolved lists entries whose customer is not known yet, so they are in no budget "
            "and have no customer or flag: drop --budget, --customer and --flagged"
        )
    with get_container().engine.connect() as conn:
        rows = unresolved_entries(conn, limit=limit)
    if as_json:
        print_json([_unresolved_json(r) for r in rows])
        return
    print_table(
        "Time entries without a customer yet (the next sync retries the lookup)",
        ["entry", "day", "state", "person", "work type", "hours", "subject", "description"],
        [
            (
                r.entry_id,
                r.day,
                UNRESOLVED,
                r.person,
                r.work_type,
                f"{r.duration_seconds / 3600:.2f}",
                f"{r.subject_type}:{r.subject_id}",
                r.description[:50],
            )
            for r in rows
        ],
    )


def _unresolved_json(r: UnresolvedEntry) -> dict[str, Any]:
    """The keys of a listed entry (no budget, value or flags yet), plus the subject being looked up."""
    return {
        "budget": None,
        "entry": r.entry_id,
        "state": UNRESOLVED,
        "day": r.day,
        "person": r.person,
        "work_type": r.work_type,
        "description": r.description,
        "duration_seconds": r.duration_seconds,
        "rounded_seconds": None,
        "rate": None,
        "amount": None,
        "needs_rate": False,
        "flags": [],
        "note": "its customer lookup failed; the next sync retries it",
        "teamleader_billing_type": r.billing_type,
        "teamleader_invoice_id": r.invoice_id,
        "subject": {"type": r.subject_type, "id": r.subject_id},
    }


def _choose(
    choice: Choice,
    ids: list[str],
    budget_id: str | None,
    start: str | None,
    end: str | None,
    all_pending: bool,
    as_json: bool,
) -> None:
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError:
        raise UserInputError("--from/--to: use dates like 2026-03-01") from None
    picked = sum([bool(ids), first is not None or last is not None, all_pending])
    if picked != 1:
        raise UserInputError("name entry ids, or --from/--to dates, or --all-pending (exactly one of them)")
    if all_pending and choice is Choice.UNDO:
        raise UserInputError("--all-pending does not apply to undo; name ids or a date range")
    selection = Selection(tuple(ids), budget_id, first, last, all_pending)
    container = get_container()
    result = container.budgets().choose(choice, selection, actor=actor())
    if as_json:
        with container.engine.connect() as conn:
            units = {
                bid: (UnitKind(unit), currency)
                for bid, unit, currency in conn.execute(
                    budget.select().with_only_columns(budget.c.id, budget.c.unit, budget.c.currency)
                )
            }
        print_json(
            {
                "changed": [{"budget": b, "entry": e, "outcome": o} for b, e, o in result.changed],
                "unchanged": [{"budget": b, "entry": e, "why": w} for b, e, w in result.unchanged],
                "settled_measure": result.settled,
                "settled": {b: measure_json(*units[b], m) for b, m in result.settled.items()},
            }
        )
        return
    for b, e, outcome in result.changed:
        console.print(f"{b}: time entry {e} {outcome}")
    for b, e, why in result.unchanged:
        err_console.print(f"{b}: time entry {e} unchanged: {why}")
    if not result.changed and not result.unchanged:
        console.print("no entries matched")


def _command(choice: Choice) -> Any:
    def command(
        entry_ids: Annotated[list[str] | None, typer.Argument(help="Time entry ids.")] = None,
        budget_id: str | None = typer.Option(None, "--budget", help="Only within this budget."),
        start: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD)."),
        end: str | None = typer.Option(None, "--to", help="Last day (YYYY-MM-DD)."),
        all_pending: bool = typer.Option(False, "--all-pending", help="Every pending entry."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        _choose(choice, entry_ids or [], budget_id, start, end, all_pending, as_json)

    command.__doc__ = {
        Choice.SUBTRACT: "Subtract time entries from their budget.",
        Choice.EXCLUDE: "Keep time entries out of their budget (a subtracted one is reversed).",
        Choice.UNDO: "Return subtracted or excluded entries to pending (a reversal line for a subtraction).",
    }[choice]
    return command


def _resolve(choice: FlagChoice, ids: list[str], budget_id: str | None, as_json: bool) -> None:
    container = get_container()
    result = resolve_flagged(
        container.engine, choice, ids, actor=actor(), now=container.clock.now(), budget_id=budget_id
    )
    if as_json:
        print_json({"changed": [{"budget": b, "entry": e, "outcome": o} for b, e, o in result.changed]})
        return
    for b, e, outcome in result.changed:
        console.print(f"{b}: time entry {e} {outcome.replace('_', ' ')}")


@app.command("keep")
def keep(
    entry_ids: Annotated[list[str], typer.Argument(help="Flagged time entry ids.")],
    budget_id: str | None = typer.Option(None, "--budget", help="Only within this budget."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Keep flagged subtractions (Teamleader invoiced them too): the flag is acknowledged."""
    _resolve(FlagChoice.KEEP, entry_ids, budget_id, as_json)


@app.command("reverse")
def reverse(
    entry_ids: Annotated[list[str], typer.Argument(help="Flagged time entry ids.")],
    budget_id: str | None = typer.Option(None, "--budget", help="Only within this budget."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Reverse flagged subtractions (a reversal line gives the amount back to the budget)."""
    _resolve(FlagChoice.REVERSE, entry_ids, budget_id, as_json)


def register(root: typer.Typer) -> None:
    """Add `entries`, `subtract`, `exclude` and `undo` to the root app."""
    root.add_typer(app, name="entries")
    for choice in Choice:
        root.command(choice.value)(_command(choice))
