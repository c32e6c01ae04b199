"""What every list endpoint shares: paging, sorting, includes and datetime filters.

Behaviour follows teamleader-api.md §2.4-§2.5: `page {size, number}` defaults to 20 and 1, a
size above 100 is refused with 400 (the sandbox's reading of "max 100"), there are no totals;
unknown sort fields are ignored; `includes` is a comma-separated string (and `include` is not
read at all); datetime filters need a full ISO-8601 datetime with offset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

from connector.sandbox.errors import ApiError

__all__ = ["MAX_PAGE_SIZE", "Reply", "includes", "page", "paginate", "parse_datetime", "sort_field"]

T = TypeVar("T")

MAX_PAGE_SIZE = 100
Reply = tuple[int, dict[str, Any] | None]


def page(body: dict[str, Any]) -> tuple[int, int]:
    """(size, number) from `page`, 1-based; 400 outside 1..100 or below page 1."""
    raw = body.get("page") or {}
    size = raw.get("size", 20)
    number = raw.get("number", 1)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(400, f"page.size must be an integer from 1 to {MAX_PAGE_SIZE}")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise ApiError(400, "page.number must be an integer from 1")
    return size, number


def paginate(rows: Iterable[T], body: dict[str, Any]) -> list[T]:
    size, number = page(body)
    return list(islice(rows, (number - 1) * size, number * size))


def sort_field(body: dict[str, Any], allowed: tuple[str, ...], default: str) -> tuple[str, bool]:
    """(field, descending) from `sort`; a field outside `allowed` is ignored, as Teamleader does."""
    raw = body.get("sort")
    first = raw[0] if isinstance(raw, list) and raw else raw
    if isinstance(first, dict) and first.get("field") in allowed:
        return str(first["field"]), first.get("order") == "desc"
    return default, False


def sorted_page(
    rows: Iterable[T], body: dict[str, Any], keys: dict[str, Callable[[T], Any]], default: str
) -> list[T]:
    """Sorts by the requested (or default) field, id as tie-breaker, then cuts out the page."""
    field, descending = sort_field(body, tuple(keys), default)
    key = keys[field]
    return paginate(sorted(rows, key=key, reverse=descending), body)


def includes(body: dict[str, Any]) -> frozenset[str]:
    raw = body.get("includes")
    if not isinstance(raw, str):
        return frozenset()
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def parse_datetime(value: Any, field: str) -> datetime:
    """A full ISO-8601 datetime with offset; bare dates and naive times are 400, as in §2.5."""
    if isinstance(value, str) and len(value) >= 19 and "T" in value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment
    raise ApiError(400, f"{field} must be an ISO-8601 datetime with offset, e.g. 2024-01-31T00:00:00+00:00")


def filters(body: dict[str, Any]) -> dict[str, Any]:
    raw = body.get("filter")
    return raw if isinstance(raw, dict) else {}


def required_id(body: dict[str, Any]) -> str:
    value = body.get("id")
    if not isinstance(value, str):
        raise ApiError(400, "id is required")
    return value
