"""`make bench`: run every benchmark with the arguments recorded in bench/RESULTS.md.

Benchmarks are programs, not tests: each prints its figures; nothing here asserts a time.
Pass names to run only some: `python -m bench sync web`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS: dict[str, list[list[str]]] = {
    "sandbox": [["bench_sandbox.py", "--requests", "10000"]],
    "sync": [
        ["bench_sync.py", "--entries", "100000"],
        ["bench_sync.py", "--entries", "100000", "--rate-limit", "200"],
    ],
    "webhooks": [["bench_webhook_latency.py", "--minutes", "15", "--entries", "50000"]],
    "ledger": [["bench_ledger.py"]],
    "web": [["bench_web.py"]],
    "whatif": [["bench_whatif.py"]],
    "topups": [["bench_topups.py"], ["bench_topups.py", "--before"]],
}


def main(names: list[str]) -> int:
    chosen = names or list(RUNS)
    unknown = [n for n in chosen if n not in RUNS]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(RUNS)}", file=sys.stderr)
        return 2
    for name in chosen:
        for script, *args in RUNS[name]:
            command = [sys.executable, str(HERE / script), *args]
            print(f"$ python bench/{script} {' '.join(args)}".rstrip(), flush=True)
            if subprocess.run(command, check=False).returncode != 0:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
