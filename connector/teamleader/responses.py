"""Reading Teamleader's response bodies: error texts, and the `data` envelope that is not always there.

Errors come as `{"errors": [{"title": ..., "meta": {...}}]}` (the API), or OAuth-style
`{"error": ..., "error_description" / "message": ...}` (the token endpoint, some 401s). Successful
bodies put the record under `data`, except where the spec or the docs show it without (the 201 of a
create in the Blueprint prose, `tickets.info` in the OpenAPI spec): both readings are accepted.
"""

from __future__ import annotations

from typing import Any

import httpx

from connector.teamleader.jsoncodec import loads

__all__ = ["error_text", "unwrap"]

_MAX_TEXT = 300


def error_text(response: httpx.Response) -> str:
    """Teamleader's own words for an error response, short enough for one log or error line."""
    try:
        body = loads(response.content) if response.content else None
    except ValueError:
        text = response.text.strip().replace("\n", " ")
        return (text[:_MAX_TEXT] or response.reason_phrase) or f"HTTP {response.status_code}"
    return _describe(body) or response.reason_phrase or f"HTTP {response.status_code}"


def _describe(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list):
        parts = []
        for item in errors:
            if not isinstance(item, dict):
                continue
            text = str(item.get("title") or item.get("detail") or "")
            meta = item.get("meta")
            if isinstance(meta, dict) and meta.get("hint"):
                text = f"{text} ({meta['hint']})"
            parts.append(text)
        return "; ".join(p for p in parts if p)[:_MAX_TEXT]
    if "error" in body:
        description = body.get("error_description") or body.get("message") or body.get("hint") or ""
        return f"{body['error']}: {description}".strip(": ")[:_MAX_TEXT]
    message = body.get("message")
    return str(message)[:_MAX_TEXT] if message else ""


def unwrap(body: Any) -> Any:
    """The record of a response: `body["data"]` when the envelope is there, else the body itself."""
    if isinstance(body, dict) and "data" in body and "id" not in body:
        return body["data"]
    return body
