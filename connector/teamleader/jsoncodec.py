"""JSON in and out of Teamleader with money kept exact: numbers parse to `Decimal`, and `Decimal`
is written as a JSON number.

httpx's `json=` goes through the standard encoder, which rejects `Decimal`, and converting to
float would round amounts, so request bodies are serialised here. Datetimes must be timezone-aware
and are sent as ISO-8601 without fractions of a second (Teamleader refuses them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "loads"]


def loads(content: bytes | str) -> Any:
    """Parse a response body; floats become `Decimal`. Raises `ValueError` on invalid JSON."""
    return json.loads(content, parse_float=Decimal)


def dumps(value: Any) -> bytes:
    """Serialise a request body; `Decimal` stays exact, floats are refused (money is never float)."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts).encode()


def _write(value: Any, out: list[str]) -> None:
    if value is None or isinstance(value, bool | int | str):
        out.append(json.dumps(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send the non-finite number {value} to Teamleader")
        out.append(str(value))
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"cannot send the naive datetime {value}: give it a timezone")
        out.append(json.dumps(value.replace(microsecond=0).isoformat()))
    elif isinstance(value, date):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, float):
        raise TypeError("floats are not sent to Teamleader: use Decimal for amounts")
    else:
        raise TypeError(f"cannot serialise {type(value).__name__} for Teamleader")
