"""`prepaid config`: check the configuration, and print the reference generated from the settings model."""

from __future__ import annotations

import typer

from connector.cli.output import console
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


@app.command("reference")
def reference_command() -> None:
    """Print the configuration reference (Markdown) that the README embeds."""
    print(reference_markdown())


@app.command("check")
def check_command() -> None:
    """Read the settings and report the first problem, or that they are fine."""
    settings = load_settings()
    console.print(f"settings are valid; database {settings.resolved_database_url}")
