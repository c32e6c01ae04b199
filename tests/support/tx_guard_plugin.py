"""The pytest side of the no-network-inside-a-transaction guard (`support.tx_guard`).

Loaded by tests/conftest.py for the whole suite. At start-up it installs the guard in the test
process and arranges for every Python subprocess to install it too (tests/txguard_site first on
PYTHONPATH, a report file in TEST_TX_GUARD_REPORT). After each test (teardown of an autouse
fixture, so the fixtures' own teardown is covered and product code that swallows an exception
cannot hide a violation) the test fails with every violation recorded while it ran, naming the
request, the site that opened the transaction and both stacks.

`tx_guard_record` is for the guard's own tests: `tx_guard_record.take()` hands over what was recorded so far
and clears it, so a test can provoke a violation and assert it was caught.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import tx_guard

_SITE = Path(__file__).resolve().parent.parent / "txguard_site"
REPORT_ENV = "TEST_TX_GUARD_REPORT"


class GuardRecord:
    """What the guard saw since a test began, in this process and in its subprocesses."""

    def __init__(self, report: Path) -> None:
        self._report = report
        self._mark = tx_guard.recorded()
        self._offset = report.stat().st_size if report.exists() else 0

    def take(self) -> list[tx_guard.Violation]:
        """Violations since the last take (or the test's start); they no longer fail the test."""
        found = tx_guard.take(self._mark)
        more, self._offset = tx_guard.read_report(self._report, self._offset)
        return found + more


def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        # The controller runs no test; its workers (spawned with its environment) set up their own
        # report file. Setting it here would make each worker's start-up `sitecustomize` guard the
        # worker itself into the controller's file, where the worker's tests never look.
        return
    tx_guard.install()
    handle, name = tempfile.mkstemp(prefix="prepaid-tx-guard-", suffix=".jsonl")
    os.close(handle)
    os.environ[REPORT_ENV] = name
    paths = [str(_SITE), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    config.stash[_REPORT_KEY] = Path(name)


def pytest_unconfigure(config: pytest.Config) -> None:
    report = config.stash.get(_REPORT_KEY, None)
    if report is not None:
        report.unlink(missing_ok=True)


_REPORT_KEY = pytest.StashKey[Path]()


def _is_xdist_controller(config: pytest.Config) -> bool:
    """True in the process that runs `pytest -n N` and hands tests to workers (it runs none)."""
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


@pytest.fixture
def tx_guard_record(request: pytest.FixtureRequest) -> GuardRecord:
    """The running test's record (shared with the autouse check below)."""
    record: GuardRecord = request.getfixturevalue("_no_network_in_transaction")
    return record


@pytest.fixture(autouse=True)
def _no_network_in_transaction(request: pytest.FixtureRequest) -> Iterator[GuardRecord]:
    record = GuardRecord(request.config.stash[_REPORT_KEY])
    yield record
    violations = record.take()
    if violations:
        details = "\n".join(violation.describe() for violation in violations)
        pytest.fail(
            f"{len(violations)} HTTP request(s) started inside an open database transaction:\n{details}",
            pytrace=False,
        )
