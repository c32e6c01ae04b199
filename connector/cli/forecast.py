"""`prepaid forecast` and `prepaid budgets what-if`: what is coming, and what a change would have done.

`forecast`, per active budget: the burn rate over the recent window, the crossing and zero dates,
and the date and amount of the next top-up, or, while a guardrail holds the budget's top-ups,
the hold instead of a date (`next_topup_date` null, `topup_held` saying why); then a cash-in
calendar of every expected top-up across all budgets over the horizon. `what-if` replays a budget's past entries under a proposed
budgets file and prints the difference. Both only read.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from connector.billing import ReplenishMode
from connector.budgets.forecasting import BudgetForecast, cash_in_calendar, forecast_all
from connector.budgets.topup_hold import TopupHold
from connector.budgets.whatif import Scenario, WhatIf, load_proposal
from connector.budgets.whatif import what_if as compare
from connector.cli.context import get_container
from connector.cli.hints import hint_no_budgets
from connector.cli.names import names_of
from connector.cli.output import console, measure_json, print_json, print_table
from connector.errors import UserInputError

__all__ = ["forecast", "hold_json", "what_if"]


def hold_json(hold: TopupHold | None) -> dict[str, str] | None:
    """A hold as `--json` prints it: `code` for scripts, `reason` and `detail` for people."""
    if hold is None:
        return None
    return {"code": hold.code, "reason": hold.reason.value, "detail": hold.detail}


def _next_topup_text(f: BudgetForecast) -> str:
    """The table's next top-up: its date, why none is coming, or nothing (no burn, none owed)."""
    held = f.topup_held
    if held is not None:
        return f"held: {held.reason.value}"
    if f.budget.replenish.mode is not ReplenishMode.AUTO:
        return "none (one-off: warn only)"
    return str(f.forecast.next_topup_date or "")


def _budget_json(f: BudgetForecast, names: dict[str, str]) -> dict[str, Any]:
    fc, unit, row = f.forecast, f.budget.unit, f.row
    burn = None if fc.no_recent_burn else int(fc.burn_per_day)
    return {
        "id": f.budget.id,
        "name": f.budget.name,
        "customer": row.customer,
        "customer_name": names.get(row.customer, row.customer),
        "settled": measure_json(unit, unit.currency, row.settled),
        "provisional": measure_json(unit, unit.currency, row.provisional),
        "threshold": measure_json(unit, unit.currency, row.threshold),
        "burn_per_day": None if burn is None else measure_json(unit, unit.currency, burn),
        "settled_display": row.format(row.settled),
        "provisional_display": row.format(row.provisional),
        "threshold_display": row.format(row.threshold),
        "burn_per_day_display": None if burn is None else unit.format(burn),
        "threshold_date": fc.threshold_date,
        "zero_date": fc.zero_date,
        "next_topup_date": fc.next_topup_date,
        "next_topup_amount": fc.next_topup.amount if fc.next_topup else None,
        "next_topup_amount_display": fc.next_topup.amount.format() if fc.next_topup else None,
        "currency": unit.currency,
        "no_recent_burn": fc.no_recent_burn,
        "replenish": f.budget.replenish.mode.value,
        "topup_held": hold_json(f.topup_held),
    }


def forecast(
    days: int = typer.Option(90, "--days", min=1, max=3660, help="Horizon of the cash-in calendar."),
    window: int = typer.Option(30, "--window", min=1, max=366, help="Days of burn the rate is read from."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Crossing date, zero date and next top-up per budget, and a cash-in calendar over all."""
    container = get_container(read_only=True)
    with container.engine.connect() as conn:
        forecasts = forecast_all(conn, now=container.clock.now(), horizon_days=days, window_days=window)
        names = names_of(conn, (f.row.customer for f in forecasts))
    calendar = cash_in_calendar(forecasts)
    if not forecasts:
        hint_no_budgets(container.settings)
    if as_json:
        print_json(
            {
                "budgets": [_budget_json(f, names) for f in forecasts],
                "cash_in": [
                    {
                        "day": day,
                        "currency": currency,
                        "total": total,
                        "total_display": total.format(),
                        "topups": [
                            {"budget": c.budget_id, "amount": c.amount, "amount_display": c.amount.format()}
                            for c in items
                        ],
                    }
                    for day, currency, total, items in calendar
                ],
            }
        )
        return
    print_table(
        "Forecast",
        [
            "budget",
            "customer",
            "settled",
            "provisional",
            "burn/day",
            "below threshold",
            "zero",
            "next top-up",
            "amount",
        ],
        [
            (
                data["id"],
                data["customer_name"],
                data["settled_display"],
                data["provisional_display"],
                data["burn_per_day_display"] or "no recent burn",
                data["threshold_date"] or "",
                data["zero_date"] or "",
                _next_topup_text(f),
                data["next_topup_amount_display"] or "",
            )
            for f, data in ((f, _budget_json(f, names)) for f in forecasts)
        ],
        ids=["budget"],
    )
    if not calendar:
        console.print(f"no top-up expected in the next {days} days")
        return
    print_table(
        f"Cash-in calendar (next {days} days)",
        ["day", "total", "budgets"],
        [(day, total.format(), ", ".join(c.budget_id for c in items)) for day, _, total, items in calendar],
        ids=["day"],
    )


def _whatif_json(result: WhatIf) -> dict[str, Any]:
    unit = result.current_budget.unit

    def measure(key: str, value: int) -> dict[str, Any]:
        return {key: measure_json(unit, unit.currency, value), f"{key}_display": unit.format(value)}

    def scenario(s: Scenario) -> dict[str, Any]:
        return {
            "subtracted_entries": s.subtracted,
            **measure("subtracted", s.subtracted_measure),
            "subtracted_measure": s.subtracted_measure,
            "pending_entries": s.pending,
            "topups": [
                {"day": t.day, "amount": t.amount, "amount_display": t.amount.format(), "blocked": t.blocked}
                for t in s.topups
            ],
        }

    return {
        "budget": result.current_budget.id,
        "since": result.since,
        "replayed_entries": result.replayed,
        **measure("settled", result.settled),
        **measure("proposed_settled", result.proposed_settled),
        **measure("balance_difference", result.proposed_settled - result.settled),
        "current": scenario(result.current),
        "proposed": scenario(result.proposed),
        "topups_difference": result.topups_difference,
        "rules": [str(rule.provenance) for rule in result.proposed_budget.rules],
        "changed_entries": [
            {"entry": e, "before": b, "before_measure": bm, "after": a, "after_measure": am}
            for e, b, bm, a, am in result.changed
        ],
    }


def what_if(
    budget_id: str,
    file: Annotated[Path, typer.Option("--file", help="A budgets file with the proposed budget (same id).")],
    since: Annotated[
        str | None, typer.Option("--since", help="Replay entries from this day (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Replay past entries under the file's rules, rates or threshold and print the difference.

    Nothing is written: the subtractions, the balance and the top-ups are computed, not stored.
    """
    try:
        first = date.fromisoformat(since) if since else None
    except ValueError:
        raise UserInputError(f"--since {since!r} is not a date; use YYYY-MM-DD") from None
    container = get_container(read_only=True)
    with container.engine.connect() as conn:
        current = container.budgets().budget(budget_id, conn)
        proposal = load_proposal(file, budget_id, current)
        result = compare(conn, budget_id, proposal, now=get_container().clock.now(), since=first)
        conn.rollback()
    data = _whatif_json(result)
    if as_json:
        print_json(data)
        return
    current_s, proposed_s = data["current"], data["proposed"]
    print_table(
        f"What if {budget_id} followed {file}" + (f" since {first}" if first else ""),
        ["", "now", "proposed"],
        [
            ("entries subtracted", current_s["subtracted_entries"], proposed_s["subtracted_entries"]),
            ("amount subtracted", current_s["subtracted_display"], proposed_s["subtracted_display"]),
            ("entries left pending", current_s["pending_entries"], proposed_s["pending_entries"]),
            ("settled balance", data["settled_display"], data["proposed_settled_display"]),
            (
                "top-ups created",
                sum(1 for t in current_s["topups"] if not t["blocked"]),
                sum(1 for t in proposed_s["topups"] if not t["blocked"]),
            ),
        ],
    )
    console.print(
        f"{len(result.changed)} of {result.replayed} replayed entries would change; nothing was written"
    )
