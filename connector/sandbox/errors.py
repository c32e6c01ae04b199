"""The sandbox's API error and the exact error bodies Teamleader answers with.

Handlers raise `ApiError`; the ASGI layer turns it into `{"errors": [{"title", "status", ...}]}`,
the shape of teamleader-api.md §2.2, so clients are tested against the real error bodies.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "error_body"]


class ApiError(Exception):
    """An answer other than success that a real Teamleader would give for the same request."""

    def __init__(
        self,
        status: int,
        title: str,
        *,
        extra: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}")
        self.status = status
        self.title = title
        self.extra = extra or {}
        self.error = error or {}

    def body(self) -> dict[str, Any]:
        """The JSON body: the `errors` array (its entry with any `error` keys such as `code` and
        `meta`), plus any OAuth-style top-level keys."""
        body = {**self.extra, **error_body(self.status, self.title)}
        body["errors"][0].update(self.error)
        return body


def error_body(status: int, title: str) -> dict[str, Any]:
    """`{"errors": [{"title", "status"}]}` as BP's introduction shows it."""
    return {"errors": [{"title": title, "status": status}]}
