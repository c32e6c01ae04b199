"""Per-endpoint read timeouts: invoice calls get a shorter wait than the client's 30 s default.

The top-up worker's invoice calls (`invoices.draft`, `.book`, `.info`, `.list`, `.delete`) are
answered by Teamleader within a few seconds on a good day. Waiting 30 s for one that hangs
holds a worker slot for nothing: a write whose answer never came is recovered by the worker's
marker lookup anyway, and a read is retried. So these calls wait `PREPAID_TOPUP_CALL_TIMEOUT_SECONDS`
(default 10 s) for an answer; every other call keeps `API_TIMEOUT`. The hook runs on every
request of the process's one `httpx.Client`, before the transport, and only sets the request's
timeout extension.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

__all__ = ["INVOICE_ENDPOINT_PREFIX", "invoice_timeouts"]

INVOICE_ENDPOINT_PREFIX = "invoices."


def invoice_timeouts(read_seconds: float) -> Callable[[httpx.Request], None]:
    """An httpx request hook giving invoice calls a read (and write) timeout of `read_seconds`."""

    def hook(request: httpx.Request) -> None:
        endpoint = request.url.path.rsplit("/", 1)[-1]
        if not endpoint.startswith(INVOICE_ENDPOINT_PREFIX):
            return
        timeout = dict(request.extensions.get("timeout") or {})
        timeout.update(read=read_seconds, write=read_seconds)
        request.extensions["timeout"] = timeout

    return hook
