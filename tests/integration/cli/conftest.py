"""Register `budgets_fixtures` (the budgets tests' helpers) for the command-line tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "budgets_fixtures"
_PATH = Path(__file__).resolve().parents[1] / "budgets" / f"{_NAME}.py"

if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, _PATH)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
