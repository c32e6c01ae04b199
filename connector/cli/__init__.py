"""The `prepaid` command-line tool: one Typer app, one module per area of the product.

`main()` turns every error the product raises on purpose into one line on stderr with its exit
code (2 for bad input or configuration), never a traceback.
"""

from __future__ import annotations

import sys

import typer

from connector import __version__
from connector.cli import auth, budgets, config, db, entries, serve, webhooks
from connector.cli.demo import demo
from connector.cli.forecast import forecast
from connector.cli.periods import app as periods_app
from connector.cli.sandbox import sandbox
from connector.cli.sync import sync as sync_command
from connector.cli.topups import app as topups_app
from connector.cli.users import users_app
from connector.errors import PrepaidError

__all__ = ["app", "main"]

app = typer.Typer(
    name="prepaid",
    help="Prepaid budgets for Teamleader Focus: sync, ledger, top-up invoices.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"prepaid {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """Prepaid budgets for Teamleader Focus."""


app.add_typer(auth.app, name="auth")
app.add_typer(db.app, name="db")
app.add_typer(config.app, name="config")
app.command("demo")(demo)
app.command("sync")(sync_command)
app.command("serve")(serve.serve)
app.command("reconcile")(serve.reconcile)
app.add_typer(webhooks.app, name="webhooks")
app.command("sandbox")(sandbox)
app.add_typer(topups_app, name="topups")
app.add_typer(periods_app, name="periods")
app.add_typer(users_app, name="users")
budgets.register(app)
entries.register(app)
app.command("forecast")(forecast)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except PrepaidError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
