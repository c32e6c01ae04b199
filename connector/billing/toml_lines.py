"""Where a key sits in a TOML text, so a rejected budgets file can point at the line at fault.

tomllib keeps no positions, so this reads the text once more: table headers (`[budget.x]`,
`[[budget]]`, `[[budget.rules]]`) and `key = value` lines give each path its line. Paths follow
the parsed document, with array-of-tables elements counted from 0; a path that is not found
(a missing key, a key inside an inline table) falls back to its nearest known parent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["TomlLines"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")

Path = tuple[str | int, ...]


def _parts(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in dotted.split(".")]


class TomlLines:
    """Line numbers (1-based) of the tables and keys of one TOML text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        counters: dict[Path, int] = {}
        table: Path = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                table = self._table(header.group(1) == "[[", _parts(header.group(2)), counters)
                self._lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                self._lines.setdefault((*table, key.group(1).strip("\"'")), number)

    def _table(self, is_array: bool, names: list[str], counters: dict[Path, int]) -> Path:
        path: Path = ()
        for depth, name in enumerate(names):
            path = (*path, name)
            last = depth == len(names) - 1
            if path in counters and not (last and is_array):
                path = (*path, counters[path])
            elif last and is_array:
                counters[path] = counters.get(path, -1) + 1
                path = (*path, counters[path])
        return path

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of `path`, or of its nearest parent the text names; None if none is named."""
        probe: Path = tuple(path)
        while probe:
            if probe in self._lines:
                return self._lines[probe]
            probe = probe[:-1]
        return None
