"""`prepaid config`: check the configuration, and print the reference generated from the settings model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import make_url

from connector.cli.output import console, print_json
from connector.errors import UserInputError
from connector.settings import ENV_PREFIX, Settings, load_settings

app = typer.Typer(help="Configuration.", no_args_is_help=True)


def reference_rows() -> list[dict[str, str | None]]:
    """One row per `PREPAID_*` variable: its name, default (None: unset) and description."""
    rows: list[dict[str, str | None]] = []
    for name, info in Settings.model_fields.items():
        default = info.get_default(call_default_factory=True)
        rows.append(
            {
                "variable": f"{ENV_PREFIX}{name.upper()}",
                "default": None if default is None else str(default),
                "description": info.description or "",
            }
        )
    return rows


def reference_markdown() -> str:
    """The configuration reference as a Markdown table, one row per `PREPAID_*` variable."""
    lines = ["| Variable | Default | Description |", "|---|---|---|"]
    for row in reference_rows():
        shown = "(none)" if row["default"] is None else f"`{row['default']}`"
        description = (row["description"] or "").replace("|", "\\|")
        lines.append(f"| `{row['variable']}` | {shown} | {description} |")
    return "\n".join(lines)


START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"


def embed_reference(document: str) -> str:
    """`document` with the text between the reference markers replaced by the current reference."""
    head, start, rest = document.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise UserInputError(f"the document has no {START} ... {END} block to update")
    return f"{head}{START}\n{reference_markdown()}\n{END}{tail}"


@app.command("reference")
def reference_command(
    update: Annotated[
        Path | None,
        typer.Option(
            "--update", help="Rewrite the reference block of this file (the README) instead of printing it."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the variables as JSON (with --update: what was updated).")
    ] = False,
) -> None:
    """Print the configuration reference (Markdown) that the README embeds."""
    if update is None:
        if as_json:
            print_json(reference_rows())
        else:
            print(reference_markdown())
        return
    update.write_text(embed_reference(update.read_text()))
    if as_json:
        print_json({"updated": str(update)})
    else:
        console.print(f"updated the configuration reference in {update}")


@app.command("check")
def check_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (a problem still exits 2).")] = False,
) -> None:
    """Read the settings and report the first problem, or that they are fine."""
    settings = load_settings()
    database = make_url(settings.resolved_database_url).render_as_string(hide_password=True)
    if as_json:
        print_json({"valid": True, "database": database, "data_dir": str(settings.data_dir)})
    else:
        console.print(f"settings are valid; database {database}")
