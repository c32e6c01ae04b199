"""`prepaid budgets ...` and `prepaid ledger BUDGET`: budgets, their balances and their ledger.

Balances are shown settled and provisional (pending entries counted at their value). Every
command prints a Rich table on a terminal, or one JSON document with `--json`.
"""

from __future__ import annotations

import getpass
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer

from connector.billing import (
    Budget,
    BudgetStatus,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    Money,
    SubtractionMode,
    SubtractionRule,
    ValuationSettings,
)
from connector.billing.budget import DEFAULT_TIME_ZONE
from connector.budgets import BudgetsService
from connector.budgets.files import apply_file
from connector.budgets.forecasting import held_forecast
from connector.budgets.reports import BalanceRow, balance_rows, ledger_rows
from connector.cli.context import get_container
from connector.cli.forecast import hold_json, what_if
from connector.cli.hints import hint_no_budgets
from connector.cli.names import names_of
from connector.cli.output import console, measure_json, print_json, print_table
from connector.errors import UserInputError

__all__ = ["actor", "app", "register"]

app = typer.Typer(
    help="Prepaid budgets: list, show, create, update, close, apply a budgets file.", no_args_is_help=True
)


def actor() -> str:
    """Who is running the command, as recorded on ledger lines."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return "cli"


def _service(*, read_only: bool = False) -> BudgetsService:
    return get_container(read_only=read_only).budgets()


def _decimal(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise UserInputError(f"{option} {value!r} is not a number; write it like 1500.00") from None


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserInputError(f"{option} {value!r} is not a date; use YYYY-MM-DD") from None


def _row_json(r: BalanceRow, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": r.budget_id,
        "name": r.name,
        "customer": r.customer,
        "customer_name": names.get(r.customer, r.customer),
        "unit": r.unit.value,
        "currency": r.currency,
        "status": r.status,
        "settled": measure_json(r.unit, r.currency, r.settled),
        "provisional": measure_json(r.unit, r.currency, r.provisional),
        "threshold": measure_json(r.unit, r.currency, r.threshold),
        "settled_display": r.format(r.settled),
        "provisional_display": r.format(r.provisional),
        "threshold_display": r.format(r.threshold),
        "settled_measure": r.settled,
        "provisional_measure": r.provisional,
        "pending_entries": r.pending,
        "below_threshold": r.settled < r.threshold,
    }


@app.command("list")
def list_budgets(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every budget with its settled and provisional balance."""
    container = get_container(read_only=True)
    with container.engine.connect() as conn:
        rows = balance_rows(conn)
        names = names_of(conn, (r.customer for r in rows))
    if not rows:
        hint_no_budgets(container.settings)
    if as_json:
        print_json([_row_json(r, names) for r in rows])
        return
    print_table(
        "Budgets",
        ["id", "name", "customer", "status", "settled", "provisional", "threshold", "pending"],
        [
            (
                r.budget_id,
                r.name,
                names[r.customer],
                r.status,
                f"[red]{r.format(r.settled)}[/]" if r.settled < r.threshold else r.format(r.settled),
                r.format(r.provisional),
                r.format(r.threshold),
                r.pending,
            )
            for r in rows
        ],
        ids=["id"],
    )


@app.command("show")
def show(budget_id: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """One budget: settings, balances, forecast, and why automatic top-ups are held, if they are.

    While a hold withdraws the next top-up, `forecast.next_topup_date` is null and
    `forecast.topup_held` names the hold; the crossing and zero dates stay."""
    service = _service(read_only=True)
    b = service.budget(budget_id)
    now = service.clock()
    with service.engine.connect() as conn:
        row = balance_rows(conn, [budget_id])[0]
        held = held_forecast(conn, b, settled=row.settled, now=now)
        names = names_of(conn, [row.customer])
    fc = held.forecast
    burn = None if fc.no_recent_burn else int(fc.burn_per_day)
    data = _row_json(row, names) | {
        "mode": b.mode.value,
        "start": b.start,
        "end": b.end,
        "version": b.version,
        "rules": [str(rule.provenance) for rule in b.rules],
        "replenish": b.replenish.mode.value,
        "forecast": {
            "burn_per_day": None if burn is None else measure_json(b.unit, b.unit.currency, burn),
            "burn_per_day_display": None if burn is None else b.unit.format(burn),
            "threshold_date": fc.threshold_date,
            "zero_date": fc.zero_date,
            "next_topup_date": fc.next_topup_date,
            "next_topup_amount": fc.next_topup.amount if fc.next_topup else None,
            "next_topup_amount_display": fc.next_topup.amount.format() if fc.next_topup else None,
            "no_recent_burn": fc.no_recent_burn,
            "topup_held": hold_json(held.topup_held),
        },
        "topup_hold": hold_json(held.hold),
    }
    if as_json:
        print_json(data)
        return
    forecast, hold = data.pop("forecast"), data.pop("topup_hold")
    withdrawn = forecast.pop("topup_held")
    rows = _shown(data) + [(f"forecast.{k}", v) for k, v in _shown(forecast)]
    if withdrawn is not None:
        rows.append(("forecast.next_topup", f"held: {withdrawn['reason']}"))
    rows.append(("topup_hold", "no" if hold is None else f"{hold['reason']}: {hold['detail']}"))
    print_table(f"Budget {budget_id}", ["field", "value"], rows, ids=["field"])


def _shown(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """The JSON fields as a table shows them: each value by its `_display` text when it has one."""
    return [
        (key, data.get(f"{key}_display", value))
        for key, value in data.items()
        if not key.endswith("_display")
    ]


@app.command("create")
def create(
    budget_id: str = typer.Option(..., "--id", help="Stable id of the budget."),
    name: str = typer.Option(..., "--name"),
    customer: str = typer.Option(..., "--customer", help="company:<id> or contact:<id>."),
    start: str = typer.Option(..., "--start", help="First day (YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--end"),
    currency: str = typer.Option("EUR", "--currency"),
    opening: str = typer.Option("0", "--opening", help="Opening balance."),
    threshold: str = typer.Option("0", "--threshold"),
    default_rate: str | None = typer.Option(None, "--default-rate", help="Rate per hour."),
    rounding_minutes: int = typer.Option(0, "--rounding-minutes"),
    auto: bool = typer.Option(False, "--auto", help="Auto mode: subtract every invoiceable entry."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a money budget (for every setting, use a budgets file and `budgets apply`)."""
    kind, _, ident = customer.partition(":")
    if kind not in ("company", "contact") or not ident:
        raise UserInputError(
            f"--customer {customer!r}: write company:<Teamleader id> or contact:<Teamleader id>"
        )
    rate = _decimal(default_rate, "--default-rate")
    b = Budget(
        id=budget_id,
        customer=CustomerRef(CustomerType(kind), ident),
        name=name,
        unit=BudgetUnit.money(currency),
        start=_day(start, "--start")
        or get_container().clock.now().astimezone(ZoneInfo(DEFAULT_TIME_ZONE)).date(),
        end=_day(end, "--end"),
        valuation=ValuationSettings(
            default_rate=Money(rate, currency) if rate is not None else None,
            rounding_increment_seconds=rounding_minutes * 60,
        ),
        mode=SubtractionMode.AUTO if auto else SubtractionMode.MANUAL,
        rules=(SubtractionRule("invoiceable", invoiceable=True),) if auto else (),
        threshold=_decimal(threshold, "--threshold") or Decimal(0),
        opening_balance=_decimal(opening, "--opening") or Decimal(0),
    )
    created = _service().create(b, actor=actor())
    if as_json:
        print_json({"id": created.id, "action": "created"})
    else:
        console.print(f"created budget {created.id}")


@app.command("update")
def update(
    budget_id: str,
    name: str | None = typer.Option(None, "--name"),
    end: str | None = typer.Option(None, "--end"),
    threshold: str | None = typer.Option(None, "--threshold"),
    default_rate: str | None = typer.Option(None, "--default-rate"),
    mode: str | None = typer.Option(None, "--mode", help="manual or auto."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Change a budget's name, end, threshold, default rate or mode."""
    service = _service()
    b = service.budget(budget_id)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if end is not None:
        changes["end"] = _day(end, "--end")
    if threshold is not None:
        changes["threshold"] = _decimal(threshold, "--threshold")
    if default_rate is not None:
        rate = _decimal(default_rate, "--default-rate")
        assert rate is not None
        changes["valuation"] = replace(b.valuation, default_rate=Money(rate, b.unit.currency))
    if mode is not None:
        if mode not in ("manual", "auto"):
            raise UserInputError(f"--mode {mode!r}: use manual or auto")
        changes["mode"] = SubtractionMode(mode)
    updated = service.update(replace(b, **changes), actor=actor(), expected_version=b.version)
    action = "unchanged" if updated is None else "updated"
    if as_json:
        print_json({"id": budget_id, "action": action, "version": (updated or b).version})
    else:
        console.print(f"budget {budget_id} {action}")


@app.command("close")
def close(budget_id: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Close a budget: it takes no new time entries; its ledger stays."""
    updated = _service().close(budget_id, actor=actor())
    action = "unchanged" if updated is None else BudgetStatus.CLOSED.value
    if as_json:
        print_json({"id": budget_id, "action": action})
    else:
        console.print(f"budget {budget_id} {action}")


@app.command("apply")
def apply(path: Path, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create or update budgets to match a budgets file (idempotent)."""
    changes = apply_file(_service(), path, actor=actor())
    if as_json:
        print_json([{"id": c.budget_id, "action": c.action, "fields": list(c.fields)} for c in changes])
        return
    print_table(
        f"Budgets from {path}",
        ["id", "action", "changed"],
        [(c.budget_id, c.action, ", ".join(c.fields)) for c in changes],
        ids=["id"],
    )


@app.command("reconcile")
def reconcile(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Re-evaluate every entry whose latest revision the ledger has not seen yet."""
    report = _service().reconcile()
    data = {"outcomes": dict(report.outcomes), "conflicts": report.conflicts, "processes": report.processes}
    if as_json:
        print_json(data)
    else:
        print_table("Reconcile", ["outcome", "entries"], sorted(report.outcomes.items()))


def ledger(budget_id: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every ledger line of a budget, oldest first, with the running balance."""
    service = _service(read_only=True)
    b = service.budget(budget_id)
    with service.engine.connect() as conn:
        rows = ledger_rows(conn, budget_id)
    running, table, lines = 0, [], []
    for r in rows:
        change = r["seconds"] if b.unit.is_hours else r["amount_cents"]
        running += change
        lines.append(
            r
            | {
                "change": measure_json(b.unit, b.unit.currency, change),
                "change_display": b.unit.format(change),
                "balance": measure_json(b.unit, b.unit.currency, running),
                "balance_display": b.unit.format(running),
            }
        )
        table.append(
            (
                r["id"],
                f"{r['at']:%Y-%m-%d %H:%M}",
                r["kind"],
                b.unit.format(change),
                b.unit.format(running),
                r["actor"],
                r["time_entry_id"] or r["invoice_id"] or "",
                r["reason"],
            )
        )
    if as_json:
        print_json(lines)
        return
    print_table(
        f"Ledger of {budget_id}",
        ["#", "at (UTC)", "kind", "change", "balance", "by", "entry/invoice", "reason"],
        table,
        ids=["#", "entry/invoice"],
    )


app.command("what-if")(what_if)


def register(root: typer.Typer) -> None:
    """Add `budgets` and `ledger` to the root app."""
    root.add_typer(app, name="budgets")
    root.command("ledger")(ledger)
