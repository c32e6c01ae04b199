"""Processes that do the same thing at the same moment: each warms up, says it is ready, and waits
for one go signal, so the race is on the work itself and not on interpreter start-up."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

AT_THE_LINE = r"""
import sys, time
from pathlib import Path

go, name = Path(sys.argv[1]), sys.argv[2]


def ready_then_wait() -> None:
    Path(f"{go}.{name}").touch()
    deadline = time.monotonic() + 30
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.001)
"""
"""Prelude of a racer script: `go`, `name` (argv 1 and 2; the script's own arguments follow) and
`ready_then_wait()`, to call once the script has done what must not count in the race."""


def race(
    script: str, names: Sequence[str], tmp_path: Path, *args: str
) -> list[subprocess.CompletedProcess[str]]:
    """Run `AT_THE_LINE + script` once per name with `args`, give the go signal once all are ready,
    and return each process's outcome, in the order of `names`."""
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", AT_THE_LINE + script, str(go), name, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    ready = [tmp_path / f"go.{name}" for name in names]
    deadline = time.monotonic() + 60
    while not all(path.exists() for path in ready):
        assert all(proc.poll() is None for proc in procs), [proc.communicate() for proc in procs]
        assert time.monotonic() < deadline, f"the racers {', '.join(names)} did not start"
        time.sleep(0.005)
    go.touch()
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done
