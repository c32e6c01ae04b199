"""`prepaid config`: check the configuration, and print the reference generated from the settings model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from connector.cli.output import console
from connector.errors import UserInputError
from connector.settings import ENV_PREFIX, Settings, load_settings

app = typer.Typer(help="Configuration.", no_args_is_help=True)


def reference_markdown() -> str:
    """The configuration reference as a Markdown table, one row per `PREPAID_*` variable."""
    lines = ["| Variable | Default | Description |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        default = info.get_default(call_default_factory=True)
        shown = "(none)" if default is None else f"`{default}`"
        description = (info.description or "").replace("|", "\\|")
        lines.append(f"| `{ENV_PREFIX}{name.upper()}` | {shown} | {description} |")
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
) -> None:
    """Print the configuration reference (Markdown) that the README embeds."""
    if update is None:
        print(reference_markdown())
        return
    update.write_text(embed_reference(update.read_text()))
    console.print(f"updated the configuration reference in {update}")


@app.command("check")
def check_command() -> None:
    """Read the settings and report the first problem, or that they are fine."""
    settings = load_settings()
    console.print(f"settings are valid; database {settings.resolved_database_url}")
