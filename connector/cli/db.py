"""`prepaid db`: apply migrations and show where the database stands."""

from __future__ import annotations

import typer
from sqlalchemy import make_url

from connector.cli.context import get_container
from connector.cli.hints import missing_database
from connector.cli.output import console, print_json
from connector.settings import Settings, load_settings
from connector.storage import current_revision, head_revision, upgrade

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create the database or apply every pending migration (also done at `prepaid serve` start-up)."""
    container = get_container(migrate=False)
    before = current_revision(container.engine)
    upgrade(container.engine)
    after = current_revision(container.engine)
    if as_json:
        print_json({"url": _shown_url(container.settings), "from": before, "revision": after})
    else:
        console.print(f"database at revision {after}")


def _shown_url(settings: Settings) -> str:
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


@app.command("status")
def status_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the database's revision and whether migrations are pending (creates no database)."""
    settings = load_settings()
    missing = missing_database(settings)
    current = None if missing is not None else current_revision(get_container(migrate=False).engine)
    head = head_revision()
    status = {"url": _shown_url(settings), "revision": current, "head": head, "up_to_date": current == head}
    if as_json:
        print_json(status | {"exists": missing is None})
    elif missing is not None:
        console.print(f"{status['url']}: no database yet (`prepaid db upgrade` creates it)")
    else:
        state = "up to date" if current == head else "migrations pending: run `prepaid db upgrade`"
        console.print(f"{status['url']}: revision {current} ({state})")
