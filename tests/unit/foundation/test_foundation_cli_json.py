"""Every command of `prepaid` that prints a result takes `--json`: walking the Typer app finds a
new command that forgot it. Only the long-running servers print no result."""

from __future__ import annotations

from typing import Any

import typer.main

from connector.cli import app

SERVERS = {"prepaid serve", "prepaid sandbox"}
"""They run until Ctrl-C and print a banner, not a result."""


def _leaves(command: Any, path: str) -> dict[str, Any]:
    """The commands below `command` by their full name (a group has `commands`, a command not)."""
    groups = getattr(command, "commands", None)
    if groups is None:
        return {path: command}
    found: dict[str, Any] = {}
    for name, sub in groups.items():
        found |= _leaves(sub, f"{path} {name}")
    return found


def _options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in getattr(param, "opts", ())}


def test_every_command_that_prints_a_result_takes_json() -> None:
    commands = _leaves(typer.main.get_command(app), "prepaid")
    assert commands.keys() >= SERVERS and {"prepaid topups cancel", "prepaid budgets list"} <= commands.keys()
    assert "--budget" in _options(commands["prepaid topups list"])
    missing = [
        path for path in sorted(commands) if path not in SERVERS and "--json" not in _options(commands[path])
    ]
    assert missing == []
