"""The deprecated GET form of `.list` and `.info` calls: bracketed query parameters -> a body.

Teamleader still answers `GET /companies.list?page[size]=100&filter[updated_since]=...` and
`GET /companies.info?id=...` ("still possible, but deprecated", teamleader-api.md §2.1; T2DB
calls it so). The query is read the way PHP reads it: `a[b]=1` nests, `a[]=x&a[]=y` and
`a[0]=x` make arrays, a repeated plain key keeps its last value. Query values are strings, so
each is turned into the type the endpoint's request schema declares (`page[size]=100` becomes
100, `filter[completed]=true` becomes true); a value that does not convert stays a string, and
request validation then refuses it with 400 exactly as it would refuse it in a JSON body. An
unencoded `+` in a datetime arrives as a space and is refused too, as the docs warn.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from connector.sandbox.errors import ApiError
from connector.sandbox.validation import request_schemas

__all__ = ["GET_ACTIONS", "body_from_query"]

GET_ACTIONS = (".list", ".info")
"""The endpoints the GET form works for; everything else is POST only (405)."""

_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_PART = re.compile(r"\[([^\[\]]*)\]")


class _Array(dict[str, Any]):
    """An array being collected from `a[]`/`a[0]` keys, kept by index until it is complete."""


def body_from_query(endpoint: str, raw_query: bytes) -> dict[str, Any]:
    """The JSON body that the query string stands for; 400 for a key that is not `name[part]…`."""
    body: dict[str, Any] = {}
    for key, value in parse_qsl(raw_query.decode("utf-8", "replace"), keep_blank_values=True):
        match = _KEY.fullmatch(key)
        if match is None:
            raise ApiError(400, f"query parameter {key!r} must look like name or name[part][…]")
        _place(body, [match.group(1), *_PART.findall(match.group(2))], value, key)
    coerced: dict[str, Any] = _coerce(request_schemas().get(endpoint, {}), body)
    return coerced


def _place(container: dict[str, Any], path: list[str], value: str, key: str) -> None:
    for position, part in enumerate(path):
        if isinstance(container, _Array) and part == "":
            part = str(len(container))
        if position == len(path) - 1:
            container[part] = value
            return
        following = path[position + 1]
        child = container.get(part)
        if child is None:
            child = container[part] = _Array() if following == "" or following.isdigit() else {}
        if not isinstance(child, dict):
            raise ApiError(400, f"query parameter {key!r} nests under a value given before")
        container = child


def _coerce(schema: dict[str, Any], value: Any) -> Any:
    if isinstance(value, _Array):
        items = schema.get("items", {})
        ordered = sorted(value.items(), key=lambda pair: int(pair[0]) if pair[0].isdigit() else -1)
        return [_coerce(items, item) for _, item in ordered]
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {key: _coerce(properties.get(key, {}), item) for key, item in value.items()}
    return _scalar(schema.get("type"), value)


def _scalar(kind: str | None, text: str) -> Any:
    if kind == "integer" and re.fullmatch(r"-?\d+", text):
        return int(text)
    if kind == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if not number.is_finite():
            return text
        return int(number) if number == number.to_integral_value() else number
    if kind == "boolean" and text in ("true", "1", "false", "0"):
        return text in ("true", "1")
    return text
