"""JSON in and out of the sandbox, with money kept exact.

Requests are parsed with `parse_float=Decimal`, as the product does; responses are encoded with
orjson, Decimal amounts written digit for digit as plain JSON numbers (never strings, never through
binary floats), which is what Teamleader sends (`{"amount": 123.3, "currency": "EUR"}`).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson

__all__ = ["decode", "encode"]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(format(value, "f"))
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def encode(payload: Any) -> bytes:
    """Serialises a response payload; Decimal amounts come out as exact JSON numbers."""
    return orjson.dumps(payload, default=_default)


def decode(raw: bytes) -> Any:
    """Parses a request body the way the product parses Teamleader's: decimals as Decimal."""
    return json.loads(raw, parse_float=Decimal)
