"""Where the data is: the hints a command gives on a database that is missing or still empty.

`make demo` keeps its data apart, in `<data dir>/demo` (each run starts it afresh, so it must never
be the database of a real install); a command on the default database therefore points there
when that database is missing or has no budgets yet, with the variable that selects it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import make_url

from connector.cli.output import err_console
from connector.errors import PrepaidError
from connector.settings import ENV_PREFIX, Settings

__all__ = ["NoDatabaseYet", "demo_data_dir", "hint_no_budgets", "missing_database", "where_the_demo_is"]

DEMO_DIR_NAME = "demo"
"""The demo's data directory inside the data directory (see `connector.demo`)."""


def demo_data_dir(settings: Settings) -> Path:
    """The data directory `prepaid demo` writes into, for these settings."""
    return settings.data_dir / DEMO_DIR_NAME


def missing_database(settings: Settings) -> Path | None:
    """The SQLite file these settings name when it does not exist yet; None when it exists or
    the database is a server (PostgreSQL), which is there or fails with its own message."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    return None if path.exists() else path


def where_the_demo_is(settings: Settings) -> str:
    """One sentence on the demo's data and the command that reads it, or "" when there is none."""
    demo = demo_data_dir(settings)
    if settings.database_url or settings.data_dir.resolve() == demo.resolve():
        return ""
    if not (demo / "prepaid.db").exists():
        return ""
    return (
        f"The demo's data is in {demo}: run commands on it with {ENV_PREFIX}DATA_DIR={demo}, "
        f"e.g. `{ENV_PREFIX}DATA_DIR={demo} prepaid budgets list`."
    )


def _start_own() -> str:
    return (
        "To start your own: `prepaid auth login`, `prepaid sync --full`, then "
        "`prepaid budgets apply FILE` (see config/budgets.example.toml)."
    )


class NoDatabaseYet(PrepaidError):
    """A command that only reads was run where no database exists; nothing was created."""

    exit_code = 2

    def __init__(self, settings: Settings, path: Path) -> None:
        demo = where_the_demo_is(settings)
        super().__init__(
            f"there is no database at {path} yet, so there is nothing to show (none was created; "
            f"{ENV_PREFIX}DATA_DIR or {ENV_PREFIX}DATABASE_URL choose another). " + (demo or _start_own())
        )


def hint_no_budgets(settings: Settings) -> None:
    """On stderr (stdout stays the result): this database has no budgets yet, and what to do."""
    err_console.print(
        f"No budgets in {make_url(settings.resolved_database_url).render_as_string(hide_password=True)} yet. "
        + (where_the_demo_is(settings) or "Describe them in a file and run `prepaid budgets apply FILE`."),
        soft_wrap=True,
        markup=False,
        highlight=False,
    )
