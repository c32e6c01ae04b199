"""Moves this Python process's clock for `make test-dates`, and every Python subprocess's with it.

`make test-dates` puts this folder on PYTHONPATH and sets PREPAID_TEST_CLOCK_AT (an ISO instant);
Python imports `sitecustomize` at start-up, so pytest, the product and every `prepaid` process a
test starts (they inherit the environment) run on a clock that starts at that instant and ticks.
time-machine moves the wall clock only (`datetime.now`, `time.time`), not `time.monotonic`, so
timeouts and sleeps keep working; libfaketime was tried first and breaks Python 3.11's sleeps and
lock waits. Without PREPAID_TEST_CLOCK_AT this module does nothing.
"""

from __future__ import annotations

import os

_AT = os.environ.get("PREPAID_TEST_CLOCK_AT")
if _AT:
    import time_machine

    time_machine.travel(_AT, tick=True).start()
