"""Errors as RFC 9457 problem details (`application/problem+json`) in the API, as pages elsewhere.

Every error the web layer answers goes through `error_response`: under /api/ (or for a client
that asks for JSON) a problem object with `type`, `title`, `status`, `detail` and `instance`;
for a browser a page in the dashboard's own layout (templates/error.html) that says in words what
went wrong and what to do next. A customer's page (a signed statement link) gets no link into the
dashboard, which they cannot open. Typed dashboard errors map to their status here, in one place,
so a route never builds an error by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from connector.web.context import build_templates
from connector.web.links import LinkExpired, LinkRefused
from connector.web.periods import InvalidPeriod
from connector.web.ports import (
    ChoiceRefused,
    DashboardError,
    TopupRefused,
    UnknownBudget,
    UnknownEntries,
    UnknownTopup,
)
from connector.web.security import csrf_token

__all__ = ["PROBLEM_RESPONSES", "Problem", "error_response", "install_error_handlers", "wants_problem"]

PROBLEM_TYPE = "application/problem+json"
_TYPES: list[tuple[type[Exception], int, str]] = [
    (UnknownBudget, 404, "unknown-budget"),
    (UnknownEntries, 404, "unknown-entries"),
    (UnknownTopup, 404, "unknown-topup"),
    (ChoiceRefused, 409, "choice-refused"),
    (TopupRefused, 409, "topup-refused"),
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


@dataclass(frozen=True, slots=True)
class ErrorPage:
    """What the error page says: a heading in words, the detail, the next step, and where to go."""

    heading: str
    detail: str
    next_step: str
    back_url: str | None
    back_label: str
    customer: bool


_HEADINGS = {
    "unknown-budget": "This budget does not exist",
    "unknown-entries": "These time entries are not in this budget",
    "unknown-topup": "This top-up does not exist",
    "choice-refused": "That choice could not be made",
    "topup-refused": "The top-up could not be changed",
    "invalid-period": "That period is not understood",
    "invalid-request": "Something is missing in the request",
    "link-expired": "This statement link has expired",
    "link-refused": "This statement link is not valid",
    "csrf": "This form has expired",
    "internal": "Something went wrong on our side",
}
_BY_STATUS = {404: "This page does not exist", 405: "That cannot be done here", 403: "Not allowed"}
_CUSTOMER_PATH = "/statement-links/"


def _back(path: str) -> tuple[str, str]:
    """The page a person came from: the budget of a budget path, the top-ups page, or the overview."""
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "budgets" and parts[1]:
        return f"/budgets/{parts[1]}", "Back to the budget"
    if parts[0] == "topups":
        return "/topups", "Back to the top-ups"
    return "/", "Go to the overview"


def _next_step(slug: str | None, status: int, customer: bool) -> str:
    if customer:
        return "Ask your account manager for a new link to your statement."
    if slug == "csrf":
        return "Reload the page, then do it again."
    if slug in ("choice-refused", "topup-refused", "unknown-entries"):
        return "Reload the page to see the current state, then choose again."
    if slug == "invalid-period":
        return (
            "Write a month (2026-11), a quarter (2026-Q4), a year (2026) or a range (2026-11-01..2026-11-15)."
        )
    if status == 404:
        return "Check the address, or start again from the overview."
    if status >= 500:
        return "Try again in a minute; if it keeps happening, tell the administrator (the server's log says what happened)."
    return "Go back and try again; if it keeps happening, the server's log says more."


def error_page(path: str, status: int, detail: str | None, slug: str | None) -> ErrorPage:
    """The words of the error page for `path` (a customer's signed-link page gets no dashboard link)."""
    customer = path.startswith(_CUSTOMER_PATH)
    heading = _HEADINGS.get(slug or "") or _BY_STATUS.get(status) or HTTPStatus(status).phrase
    back_url, back_label = (None, "") if customer else _back(path)
    if slug == "unknown-budget" and not customer:
        back_url, back_label = "/", "Go to the overview"
    text = _sentence(detail)
    step = "" if customer and "account manager" in text else _next_step(slug, status, customer)
    return ErrorPage(heading, text, step, back_url, back_label, customer)


def _sentence(detail: str | None) -> str:
    """'no budget with id ...' as a sentence: capitalised, with a full stop, and without the
    clauses that name a command (a page says what to do in its own words)."""
    text = "; ".join(part for part in (detail or "").split("; ") if "`" not in part).strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return build_templates()


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
    page = error_page(path, status, detail, slug)
    session: dict[str, Any] = request.scope.get("session", {}) if request is not None else {}
    user = None if page.customer else session.get("user")
    csrf = csrf_token(session) if user else ""
    html = _templates().get_template("error.html").render(e=page, status=status, user=user, csrf=csrf)
    return HTMLResponse(html, status_code=status, headers=headers)


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

    async def server_error(request: Request, exc: Exception) -> Response:
        detail = "the server met an unexpected error; what happened is in its log"
        return error_response(request, 500, detail, slug="internal")

    app.add_exception_handler(Exception, server_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(DashboardError, dashboard_error)
