"""Logging in and out of the dashboard: a form, a session cookie, nothing else.

The session is a signed cookie (see `create_app`); logging in replaces its content and the CSRF
token, so a token seen before login is useless after it. `next` only ever points inside the app.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from connector.logging import get_logger
from connector.web.access import public
from connector.web.context import WebContext, web
from connector.web.security import csrf_token

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Web = Annotated[WebContext, Depends(web)]
log = get_logger(__name__)


def _local(target: str) -> str:
    """`target` when it is a path of this app, else the overview (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
@public
def login_page(request: Request, ctx: Web, next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    return ctx.page(
        request, "login.html", next=_local(next), error=None, has_users=ctx.authenticator.has_users
    )


@router.post("/login")
@public
def login(
    request: Request,
    ctx: Web,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    user = ctx.authenticator.login(username, password)
    if user is None:
        log.warning("web.login_failed", user=username[:64])
        return ctx.page(
            request,
            "login.html",
            status=401,
            next=_local(next),
            error="Wrong user name or password.",
            has_users=ctx.authenticator.has_users,
        )
    session = request.scope["session"]
    session.clear()
    session["user"] = user
    csrf_token(session, renew=True)
    log.info("web.login", user=user)
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.scope["session"].clear()
    return RedirectResponse("/login", status_code=303)
