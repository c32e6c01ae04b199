"""Large applies in several processes: the entries split by customer, one share per process.

Deciding what a time entry means for a budget is Python work (valuation, rules, row building),
so one process keeps one core busy and a million-entry full sync waits on it. The work splits
cleanly by customer: a customer's entries only ever concern that customer's budgets (and budgets
that held them before a move, which the database arbitrates by compare-and-swap like any other
concurrent writer). Each share is applied by `EntryApplier` in its own process, with its own
engine; reads take no lock and each batch's write transaction is short, so on SQLite the
processes take turns at the write lock while the others decide. Exactly-once holds as it does
for concurrent syncs: the unique keys of allocations, ledger lines and top-ups are in the
database, not in the process.

Processes are spawned (never forked: the parent may run threads, an HTTP server and a
scheduler), so the worker is a module-level function that rebuilds its engine from the URL. As
with any spawning, a script that calls this must keep its top level under
`if __name__ == "__main__":`, since each worker imports the script's module; `prepaid` and the
benchmarks do.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from connector.logging import LoggingConfig, apply_logging_config, get_logger, logging_config

__all__ = ["MAX_WORKERS", "default_workers", "run_shares", "split_by_key"]

_log = get_logger(__name__)
MAX_WORKERS = 4
R = TypeVar("R")


def default_workers() -> int:
    """One process per core this process may use, at most `MAX_WORKERS`."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def split_by_key(ordered: Sequence[tuple[Hashable, str]], parts: int) -> list[list[str]]:
    """Ids already ordered by key, cut into at most `parts` runs of about equal size; a key's
    ids all land in one run (the cut moves forward to the next change of key)."""
    shares: list[list[str]] = []
    start = 0
    for part in range(parts, 0, -1):
        if start >= len(ordered):
            break
        end = start + -(-(len(ordered) - start) // part)
        while end < len(ordered) and ordered[end][0] == ordered[end - 1][0]:
            end += 1
        shares.append([entry_id for _, entry_id in ordered[start:end]])
        start = end
    return shares


def _init_worker(config: LoggingConfig | None) -> None:
    if config is not None:
        apply_logging_config(config)


def run_shares(
    shares: Sequence[R],
    own: Callable[[R], Any],
    worker: Callable[..., Any],
    worker_args: Callable[[R], tuple[Any, ...]],
) -> list[Any]:
    """Run `own(shares[0])` here and `worker(*worker_args(share))` in a spawned process for each
    other share; the results in share order. A share whose process died is run here instead
    (applying is idempotent, so whatever it had committed is recognised and left alone)."""
    if len(shares) <= 1:
        return [own(share) for share in shares]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=len(shares) - 1,
        mp_context=context,
        initializer=_init_worker,
        initargs=(logging_config(),),
    ) as pool:
        futures: list[Future[Any]] = [pool.submit(worker, *worker_args(share)) for share in shares[1:]]
        results = [own(shares[0])]
        for share, future in zip(shares[1:], futures, strict=True):
            try:
                results.append(future.result())
            except BrokenProcessPool:
                _log.warning("budgets.apply.worker_died", hint="its share is applied in the parent instead")
                results.append(own(share))
    return results
