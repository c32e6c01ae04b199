"""Fixtures of the invoicing unit tests: the fakes of `invoicing_fakes`, a worker on SQLite, a clock.

The clock is the tests' `PinnedClock` at `PINNED_AT`: leases, back-off and veto windows move only
when a test advances it.

The fakes module is registered by its path (as `invoicing_fakes`) because test directories are
not packages under --import-mode=importlib; the end-to-end tests register the same module.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from support.clock import PinnedClock

from connector.storage import create_db_engine

_NAME = "invoicing_fakes"

if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).with_name(f"{_NAME}.py"))
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)


@pytest.fixture
def clock() -> PinnedClock:
    return PinnedClock()


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Engine]:
    engine = create_db_engine(sqlite_url)
    yield engine
    engine.dispose()
