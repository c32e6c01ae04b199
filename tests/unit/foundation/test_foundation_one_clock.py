"""The product reads time through `connector.clock` only, so a test's clock moves all of it.

A direct `datetime.now()`, `date.today()` or `time.time()` elsewhere would read the machine's clock
behind the injected one: a pinned test would then pass or fail by the calendar. The sandbox keeps
its own clock on purpose (it shares no code with the client it checks).
"""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

from connector.clock import SYSTEM_CLOCK

PACKAGE = Path(__file__).resolve().parents[3] / "connector"
CLOCK_MODULE = PACKAGE / "clock.py"
WALL_CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "monotonic"),
    ("time", "sleep"),
}


def wall_clock_reads(source: str) -> list[str]:
    """Every call in `source` that reads or waits on the machine's clock directly."""
    return [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) in WALL_CLOCK_CALLS
    ]


def test_only_the_clock_module_reads_the_machine_clock() -> None:
    product = [
        path
        for path in PACKAGE.rglob("*.py")
        if path != CLOCK_MODULE and "sandbox" not in path.relative_to(PACKAGE).parts
    ]
    assert len(product) > 50
    reads = {
        str(path.relative_to(PACKAGE)): found
        for path in product
        if (found := wall_clock_reads(path.read_text()))
    }
    assert reads == {}, "read the time through connector.clock (the container's clock)"


@pytest.mark.parametrize(
    "probe", ["def f():\n    return datetime.now(UTC)\n", "x = time.time()\n", "d = date.today()\n"]
)
def test_the_guard_sees_a_direct_read(probe: str) -> None:
    assert wall_clock_reads(probe)


def test_the_system_clock_is_aware_utc() -> None:
    assert SYSTEM_CLOCK.now().utcoffset() == timedelta(0)
