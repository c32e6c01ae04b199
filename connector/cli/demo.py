"""`prepaid demo`: the whole story on the embedded default (SQLite + the sandbox)."""

from __future__ import annotations

from typing import Any

import typer

from connector.bootstrap import Container
from connector.budgets.reports import balance_rows
from connector.cli.output import console, measure_json, print_json, print_table
from connector.cli.serve import run_server
from connector.cli.sync import progress_bars
from connector.clock import SYSTEM_CLOCK
from connector.demo import DEMO_PASSWORD, DEMO_USER, prepare, register_webhooks, run_story
from connector.settings import ENV_PREFIX


def _budgets_json(container: Container, shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The summary's budgets with their figures as JSON money (`settled` an object, the text
    beside it as `settled_display`); `shown` and the balance rows are both in budget-id order."""
    with container.engine.connect() as conn:
        rows = balance_rows(conn)
    return [
        budget
        | {"id": r.budget_id}
        | {
            key: measure_json(r.unit, r.currency, getattr(r, key))
            for key in ("settled", "provisional", "threshold")
        }
        | {f"{key}_display": budget[key] for key in ("settled", "provisional", "threshold")}
        for budget, r in zip(shown, rows, strict=True)
    ]


def demo(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Keep `prepaid serve` running at the end."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON (implies --no-serve)."),
) -> None:
    """Sandbox, OAuth, full sync, budgets, rules, a top-up invoice, then the dashboard."""
    started = SYSTEM_CLOCK.monotonic()
    sandbox, container = prepare()
    try:
        with progress_bars(not as_json) as progress:
            result = run_story(sandbox, container, (lambda _: None) if as_json else console.print, progress)
        data_dir = container.settings.data_dir
        if as_json:
            print_json(
                {
                    "budgets": _budgets_json(container, result.budgets),
                    "invoices": [i | {"total_display": i["total"].format()} for i in result.invoices],
                    "api_calls": result.api_calls,
                    "seconds": round(SYSTEM_CLOCK.monotonic() - started, 1),
                    "data_dir": str(data_dir),
                }
            )
            return
        print_table(
            "Budgets",
            ["budget", "customer", "settled", "provisional", "threshold"],
            [
                (
                    ("[red]" if b["below_threshold"] else "") + b["budget"],
                    b["customer"],
                    b["settled"],
                    b["provisional"],
                    b["threshold"],
                )
                for b in result.budgets
            ],
        )
        print_table(
            "Top-up invoices created in the sandbox",
            ["number", "customer", "total excl. VAT", "invoice", "top-up", "marker"],
            [
                (i["number"], i["customer"], i["total"], i["status"], i["topup"], i["marker"])
                for i in result.invoices
            ],
        )
        console.print(
            f"{len(result.invoices)} top-up invoice(s), {result.api_calls} API calls, "
            f"{SYSTEM_CLOCK.monotonic() - started:.1f} s"
        )
        console.print(
            f"The demo's data stays in {data_dir}; the command line reads it with {ENV_PREFIX}DATA_DIR, "
            f"e.g. `{ENV_PREFIX}DATA_DIR={data_dir} .venv/bin/prepaid budgets list` (the next demo starts it afresh).",
            markup=False,
            highlight=False,
        )
        if serve:
            register_webhooks(container)
            url = container.settings.public_url
            run_server(
                container,
                banner=f"[bold green]dashboard at {url}/[/] (log in as {DEMO_USER} / "
                f"{DEMO_PASSWORD}; Ctrl-C stops)",
            )
    finally:
        container.close()
        sandbox.stop()
