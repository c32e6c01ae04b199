"""Moves this Python process's clock for `make test-dates`, and every Python subprocess's with it.

`make test-dates` puts this folder on PYTHONPATH and sets TEST_CLOCK_AT (an ISO instant);
Python imports `sitecustomize` at start-up, so pytest, the product and every `prepaid` process a
test starts (they inherit the environment) run on a clock that ticks from that instant. They share
one timeline: the first process records the real time it started (TEST_CLOCK_SINCE), and a
process started later begins as far after the instant as it started after the first one, so a
worker started mid-test sees what the test process sees. time-machine moves the wall clock only
(`datetime.now`, `time.time`), not `time.monotonic`, so timeouts and sleeps keep working;
libfaketime was tried first and breaks Python 3.11's sleeps and lock waits. Without
TEST_CLOCK_AT this module does nothing.
"""

from __future__ import annotations

import os
import time
from datetime import datetime

_AT = os.environ.get("TEST_CLOCK_AT")
if _AT:
    import time_machine

    _real = time.time()
    _since = float(os.environ.setdefault("TEST_CLOCK_SINCE", repr(_real)))
    time_machine.travel(datetime.fromisoformat(_AT).timestamp() + (_real - _since), tick=True).start()
    time.time()  # time-machine ticks from the first read: start now, not at the process's first use
