"""Several top-ups in flight at once: claim as many as there are free slots, and refill each slot
as soon as its top-up lets go.

A slow or hanging Teamleader call then holds one slot, not the whole queue; a top-up whose call
failed is released with its next try planned, so waiting for a retry holds no slot either. The
ids in flight are handed to every claim (`exclude`): the worker's own lease makes a row it is
driving claimable by it again, so without them one top-up could be driven by two threads.
An unexpected error (the database, a bug) stops the claiming; the top-ups in flight are finished
and the first error is raised, so the caller's loop backs off as it does for any failure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from connector.logging import get_logger

__all__ = ["Claim", "drive_in_slots"]

_log = get_logger(__name__)

Claim = Callable[[int, Collection[str]], list[str]]
"""Claims up to `n` due top-ups, leaving out the ids given; the ids now held."""


def drive_in_slots(claim: Claim, drive: Callable[[str], object], *, slots: int, limit: int, name: str) -> int:
    """Drive claimed top-ups, up to `slots` at once and `limit` in all; how many were driven."""
    driven = 0
    errors: list[BaseException] = []
    in_flight: dict[Future[object], str] = {}
    with ThreadPoolExecutor(slots, thread_name_prefix=f"topup-{name}") as pool:
        while True:
            room = min(slots - len(in_flight), limit - driven - len(in_flight))
            claimed = claim(room, set(in_flight.values())) if room > 0 and not errors else []
            for topup_id in claimed:
                in_flight[pool.submit(drive, topup_id)] = topup_id
            if not in_flight:
                break
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                topup_id = in_flight.pop(future)
                driven += 1
                error = future.exception()
                if error is not None:
                    _log.error("topup.drive_failed", topup_id=topup_id, error=repr(error), worker=name)
                    errors.append(error)
    if errors:
        raise errors[0]
    return driven
