"""Time tracking endpoints with Teamleader's filter set and its traps (teamleader-api.md §3.3).

Only the documented filters exist (`ids`, `user_id`, `started_after/before`, `ended_after/before`
inclusive, `subject`, `subject_types`, `relates_to`); anything else, such as `updated_since`, is
ignored and the whole table comes back. The only sort is `starts_on`. `timeTracking.info` adds
`locked` to the entry and `meta.updatable` beside `data`, at the top level, as the spec has it.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING, Any

from connector.sandbox import render
from connector.sandbox.errors import ApiError
from connector.sandbox.listing import (
    Reply,
    filters,
    includes,
    page,
    parse_datetime,
    required_id,
    sort_field,
)
from connector.sandbox.timeindex import TimeFilter

if TYPE_CHECKING:
    from connector.sandbox.core import Sandbox

__all__ = ["HANDLERS"]

LIST_INCLUDES = frozenset({"materials", "relates_to"})
"""The includes that change a listed entry; any other value is ignored, as Teamleader does."""

Handler = Callable[["Sandbox", dict[str, Any]], Reply]


def _time_filter(wanted: dict[str, Any]) -> TimeFilter:
    result = TimeFilter()
    if isinstance(wanted.get("ids"), list):
        result.ids = set(wanted["ids"])
    if wanted.get("user_id") is not None:
        result.user_id = str(wanted["user_id"])
    for bound in ("started_after", "started_before", "ended_after", "ended_before"):
        if bound in wanted:
            setattr(result, bound, parse_datetime(wanted[bound], f"filter.{bound}").timestamp())
    if isinstance(wanted.get("subject"), dict):
        result.subject = (wanted["subject"]["type"], wanted["subject"]["id"])
    if isinstance(wanted.get("subject_types"), list):
        result.subject_types = set(wanted["subject_types"])
    if isinstance(wanted.get("relates_to"), dict):
        result.relates_to = (wanted["relates_to"]["type"], wanted["relates_to"]["id"])
    return result


def time_tracking_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    state = sandbox.state
    _, descending = sort_field(body, ("starts_on",), "starts_on")
    wanted = _time_filter(filters(body))
    size, number = page(body)
    rows = islice(state.time_index.query(state.entries, wanted, descending, (number - 1) * size), size)
    variant = includes(body) & LIST_INCLUDES
    data = state.entry_json.rows(rows, variant, lambda entry: render.time_entry(entry, variant, detail=False))
    return 200, {"data": data}


def time_tracking_info(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    entry_id = required_id(body)
    entry = sandbox.state.entries.get(entry_id)
    if entry is None:
        raise ApiError(404, f"Time tracking {entry_id} not found")
    data = render.time_entry(entry, includes(body), detail=True)
    return 200, {"data": data, "meta": {"updatable": True}}


HANDLERS: dict[str, Handler] = {
    "timeTracking.list": time_tracking_list,
    "timeTracking.info": time_tracking_info,
}
