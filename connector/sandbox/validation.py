"""Request validation against the official spec's request schemas (the committed subset).

Teamleader answers 400 for a value of the wrong type, a value outside an enum or a missing
required key, and silently ignores keys it does not know (teamleader-api.md §2.5, §5.1). This
validator does exactly that: it checks what the spec declares and never complains about extra
keys. Rules the spec cannot express (datetime formats, references to other records, untitled
sections) live in the handlers.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import cache
from typing import Any

from connector.sandbox.errors import ApiError
from connector.sandbox.specgen import SUBSET_PATH

__all__ = ["request_schemas", "validate_request"]

_DOCUMENTED_NULLS = frozenset({"filter.subject_types[]", "filter.company_id"})
"""Where the docs allow `null` but the schema does not: no subject (§3.3), no company (§3.2)."""

_IGNORED_ENUMS = frozenset({"sort[].field", "sort[].order", "sort.field", "sort.order"})
"""Sort values outside the enum are ignored with 200, not refused (§2.5, §3.3 `started_at`)."""

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
}


@cache
def request_schemas() -> dict[str, dict[str, Any]]:
    """Endpoint name -> compact request schema, loaded once from `spec_subset.json`."""
    schemas: dict[str, dict[str, Any]] = json.loads(SUBSET_PATH.read_text(encoding="utf-8"))
    return schemas


def validate_request(endpoint: str, body: dict[str, Any]) -> None:
    """Raises a 400 `ApiError` naming the first field that breaks the endpoint's schema."""
    schema = request_schemas().get(endpoint)
    if schema:
        _check(schema, body, "")


def _matches_type(expected: str, value: Any) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "number":
        return isinstance(value, int | Decimal) and not isinstance(value, bool)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "array":
        return isinstance(value, list)
    if expected == "object":
        return isinstance(value, dict)
    return True


def _check(schema: dict[str, Any], value: Any, path: str) -> None:
    label = path or "body"
    if value is None:
        if schema.get("nullable") or not schema or _generic(path) in _DOCUMENTED_NULLS:
            return
        raise ApiError(400, f"{label} must not be null")
    alternatives = schema.get("oneOf")
    if alternatives:
        _check_alternatives(alternatives, value, label, path)
    expected = schema.get("type")
    if expected is None and ("properties" in schema or "required" in schema):
        expected = "object"
    if expected and not _matches_type(expected, value):
        raise ApiError(400, f"{label} must be {_TYPE_NAMES.get(expected, expected)}")
    enum = schema.get("enum")
    if enum is not None and value not in enum and _generic(path) not in _IGNORED_ENUMS:
        raise ApiError(400, f"{label} must be one of: {', '.join(str(option) for option in enum)}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                raise ApiError(400, f"{_join(path, key)} is required")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                _check(sub, value[key], _join(path, key))
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(schema["items"], item, f"{label}[{index}]")


def _check_alternatives(alternatives: list[dict[str, Any]], value: Any, label: str, path: str) -> None:
    for alternative in alternatives:
        try:
            _check(alternative, value, path)
        except ApiError:
            continue
        return
    raise ApiError(400, f"{label} must be valid")


def _generic(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
