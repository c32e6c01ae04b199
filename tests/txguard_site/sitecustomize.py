"""Watches a test's Python subprocesses for HTTP requests started inside a database transaction.

The pytest plugin `support.tx_guard_plugin` puts this folder first on PYTHONPATH and names a report
file in TEST_TX_GUARD_REPORT; Python imports `sitecustomize` at start-up, so every `prepaid`
command or worker a test starts (they inherit the environment) installs `support/tx_guard.py` and
appends what it finds to that file, which the plugin reads at the end of each test. Python imports
only the first `sitecustomize` on the path, so this one then runs the next one it hides (the
dated suite's `tests/dates/sitecustomize.py`, which moves the clock). Without
TEST_TX_GUARD_REPORT the guard stays off.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path) -> None:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


def _start_guard() -> None:
    report = os.environ.get("TEST_TX_GUARD_REPORT")
    if not report:
        return
    _load("_prepaid_tx_guard", _HERE.parent / "support" / "tx_guard.py")
    sys.modules["_prepaid_tx_guard"].install(Path(report))


def _run_hidden_sitecustomize() -> None:
    for entry in sys.path:
        if not entry or Path(entry).resolve() == _HERE:
            continue
        candidate = Path(entry) / "sitecustomize.py"
        if candidate.is_file():
            _load("_prepaid_next_sitecustomize", candidate)
            return


_start_guard()
_run_hidden_sitecustomize()
