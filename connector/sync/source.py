"""The one thing the sync needs from the API client: call an operation with a JSON body.

Keeping the port this narrow lets the sync page, checkpoint and batch by itself (it must resume
at a given page after a crash) and lets unit tests drive it with a fake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["MAX_PAGE_SIZE", "TeamleaderSource", "data_of"]

MAX_PAGE_SIZE = 100


class TeamleaderSource(Protocol):
    """Calls an endpoint (e.g. `timeTracking.list`) and returns the decoded JSON response.

    `deadline` (monotonic seconds of the injected clock) bounds the call's retries: the customer
    lookups of one run share one deadline, so an outage cannot hold a sync for minutes.
    """

    def call(
        self, endpoint: str, body: Mapping[str, Any] | None = None, *, deadline: float | None = None
    ) -> Any: ...

    @property
    def api_calls(self) -> int:
        """Requests sent so far (for the sync statistics)."""
        ...


def data_of(response: Any) -> Any:
    """The `data` member of a response (lists and objects are both wrapped in `data`)."""
    if isinstance(response, Mapping) and "data" in response:
        return response["data"]
    return response
