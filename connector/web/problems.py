"""Errors as RFC 9457 problem details (`application/problem+json`) in the API, as pages elsewhere.

Every error the web layer answers goes through `error_response`: under /api/ (or for a client
that asks for JSON) a problem object with `type`, `title`, `status`, `detail` and `instance`;
for a browser a small HTML page with the same title and detail. Typed dashboard errors map to
their status here, in one place, so a route never builds an error by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import escape
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from connector.web.links import LinkExpired, LinkRefused
from connector.web.periods import InvalidPeriod
from connector.web.ports import ChoiceRefused, DashboardError, UnknownBudget, UnknownEntries

__all__ = ["PROBLEM_RESPONSES", "Problem", "error_response", "install_error_handlers", "wants_problem"]

PROBLEM_TYPE = "application/problem+json"
_TYPES: list[tuple[type[Exception], int, str]] = [
    (UnknownBudget, 404, "unknown-budget"),
    (UnknownEntries, 404, "unknown-entries"),
    (ChoiceRefused, 409, "choice-refused"),
    (InvalidPeriod, 422, "invalid-period"),
    (LinkExpired, 410, "link-expired"),
    (LinkRefused, 404, "link-refused"),
    (DashboardError, 400, "dashboard-error"),
]


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_TYPE: {}}, "description": HTTPStatus(status).phrase}
    for status in (400, 401, 403, 404, 409, 422)
}


def wants_problem(path: str, accept: str) -> bool:
    """API paths always; other paths when the client asks for JSON and not for a page."""
    return path.startswith("/api/") or ("json" in accept and "text/html" not in accept)


def error_response(
    request: Request | None,
    status: int,
    detail: str | None,
    *,
    path: str = "/",
    accept: str = "",
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if request is not None:
        path, accept = request.url.path, request.headers.get("accept", "")
    title = HTTPStatus(status).phrase
    if wants_problem(path, accept):
        problem = Problem(
            type=f"urn:prepaid:problem:{slug}" if slug else "about:blank",
            title=title,
            status=status,
            detail=detail,
            instance=path,
            errors=errors,
        )
        body = problem.model_dump(exclude_none=True)
        return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)
    page = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>"
        f'<link rel=stylesheet href="/static/app.css"><main class=error><h1>{status} {escape(title)}</h1>'
        f'<p>{escape(detail or "")}</p><p><a href="/">Back to the overview</a></p></main>'
    )
    return HTMLResponse(page, status_code=status, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(request, exc.status_code, str(exc.detail), headers=exc.headers)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = _validation_errors(exc)
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return error_response(request, 422, detail, slug="invalid-request", errors=errors)

    async def dashboard_error(request: Request, exc: Exception) -> Response:
        for kind, status, slug in _TYPES:
            if isinstance(exc, kind):
                return error_response(request, status, str(exc), slug=slug)
        raise exc

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(DashboardError, dashboard_error)
