"""Streaming Teamleader's paged lists at the largest page size, stopping on the last page.

Lists carry no totals, so the last page is the first short (or empty) one. Some endpoints ignore
paging and return everything on every page (`departments.list`, `paymentTerms.list`,
`webhooks.list` are not paged at all and are called once); as a guard, a page identical to the one
before ends the iteration instead of looping forever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from connector.logging import get_logger
from connector.teamleader.errors import MalformedResponse
from connector.teamleader.responses import unwrap

__all__ = ["PAGE_SIZE", "UNPAGED", "pages", "rows"]

PAGE_SIZE = 100
UNPAGED = frozenset({"departments.list", "paymentTerms.list", "webhooks.list"})
_log = get_logger(__name__)

Call = Callable[[str, Mapping[str, Any]], Any]


def rows(endpoint: str, body: Any) -> list[dict[str, Any]]:
    """The list under `data` of a list response, or a `MalformedResponse`."""
    data = unwrap(body)
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise MalformedResponse(endpoint, 200, "expected a list of records under `data`")
    return data


def pages(
    call: Call, endpoint: str, body: Mapping[str, Any], page_size: int = PAGE_SIZE
) -> Iterator[list[dict[str, Any]]]:
    """Yield each page's records, requesting the next page only when the caller wants it."""
    if endpoint in UNPAGED:
        yield rows(endpoint, call(endpoint, body))
        return
    number = 1
    previous: list[Any] | None = None
    while True:
        page = rows(endpoint, call(endpoint, {**body, "page": {"size": page_size, "number": number}}))
        identity = [row.get("id", row) for row in page]
        if previous is not None and page and identity == previous:
            _log.warning("teamleader.paging_ignored", endpoint=endpoint, page=number)
            return
        yield page
        if len(page) < page_size:
            return
        previous = identity
        number += 1
