"""`prepaid db`: apply migrations and show where the database stands."""

from __future__ import annotations

import typer

from connector.cli.context import get_container
from connector.cli.output import console, print_json
from connector.storage import current_revision, head_revision, upgrade

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration (also done at `prepaid serve` start-up)."""
    container = get_container(migrate=False)
    upgrade(container.engine)
    console.print(f"database at revision {current_revision(container.engine)}")


@app.command("status")
def status_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the database's revision and whether migrations are pending."""
    container = get_container(migrate=False)
    current, head = current_revision(container.engine), head_revision()
    status = {
        "url": container.engine.url.render_as_string(hide_password=True),
        "revision": current,
        "head": head,
        "up_to_date": current == head,
    }
    if as_json:
        print_json(status)
    else:
        state = "up to date" if current == head else "migrations pending: run `prepaid db upgrade`"
        console.print(f"{status['url']}: revision {current} ({state})")
