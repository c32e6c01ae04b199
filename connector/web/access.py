"""The access gate: every route needs a login or the API token unless its endpoint is declared public.

`AccessMiddleware` runs after the session middleware and before routing. It finds the route a
request is for, and unless the endpoint carries `@public` (no login; forms still need a CSRF
token, e.g. /login) or `@public_machine` (no login and no CSRF: callers authenticate themselves,
e.g. the webhook path secret), it requires a session user or `Authorization: Bearer <API token>`.
Anonymous requests get 401 (problem details) in the API and a redirect to /login for pages. Every
unsafe method (POST, PUT, PATCH, DELETE) from a browser session must carry the session's CSRF token,
in the `csrf_token` form field or the `X-CSRF-Token` header; token-authenticated scripts are exempt
because a browser never sends that header on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote

from fastapi.routing import RouteContext, iter_route_contexts
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector.web.problems import error_response, wants_problem
from connector.web.security import CSRF_FIELD, CSRF_HEADER, Authenticator, csrf_matches

__all__ = ["Access", "AccessMiddleware", "Principal", "access_of", "app_routes", "public", "public_machine"]

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_FORM_BYTES = 1_000_000
_ATTRIBUTE = "__prepaid_access__"
F = TypeVar("F", bound=Callable[..., Any])


class Access(StrEnum):
    PRIVATE = "private"
    PUBLIC = "public"
    MACHINE = "machine"


def public(endpoint: F) -> F:
    """Reachable without login; unsafe methods still need the session's CSRF token."""
    setattr(endpoint, _ATTRIBUTE, Access.PUBLIC)
    return endpoint


def public_machine(endpoint: F) -> F:
    """Reachable without login or CSRF token: for callers that prove themselves (webhook secret)."""
    setattr(endpoint, _ATTRIBUTE, Access.MACHINE)
    return endpoint


def app_routes(app: Starlette) -> list[RouteContext]:
    """Every route of the app, flattened through included routers (FastAPI nests them)."""
    return list(iter_route_contexts(app.router.routes))


def access_of(route: RouteContext, public_mounts: Collection[str] = ()) -> Access:
    original = route.original_route
    if isinstance(original, Mount):
        return Access.PUBLIC if original.name in public_mounts else Access.PRIVATE
    endpoint = route.endpoint
    value = getattr(endpoint, _ATTRIBUTE, Access.PRIVATE)
    return value if isinstance(value, Access) else Access.PRIVATE


class Principal(str):
    """The name recorded as actor: `web:<user>` for a session, `api:token` for the API token."""


class AccessMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Callable[[], Sequence[RouteContext]],
        authenticator: Authenticator,
        public_mounts: Collection[str] = ("static",),
    ) -> None:
        self.app = app
        self._routes = routes
        self._auth = authenticator
        self._public_mounts = frozenset(public_mounts)

    def _access(self, scope: Scope) -> Access:
        for route in self._routes():
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return access_of(route, self._public_mounts)
        return Access.PRIVATE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path, accept = scope["path"], headers.get("accept", "")
        access = self._access(scope)
        session = scope.get("session", {})
        principal: Principal | None = None
        by_token = False
        authorization = headers.get("authorization", "")
        if authorization and access is Access.PRIVATE:
            scheme, _, presented = authorization.partition(" ")
            if scheme.lower() != "bearer" or not self._auth.token_ok(presented.strip()):
                await self._deny(scope, receive, send, "the API token is not valid; check PREPAID_API_TOKEN")
                return
            principal, by_token = Principal("api:token"), True
        elif isinstance(session.get("user"), str):
            principal = Principal(f"web:{session['user']}")
        if access is Access.PRIVATE and principal is None:
            if scope["method"] in ("GET", "HEAD") and not wants_problem(path, accept):
                target = path + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
                await RedirectResponse(f"/login?next={quote(target)}", status_code=303)(scope, receive, send)
                return
            await self._deny(scope, receive, send, "log in, or send the API token as a Bearer header")
            return
        scope.setdefault("state", {})["principal"] = principal
        if scope["method"] in _UNSAFE and access is not Access.MACHINE and not by_token:
            checked = await self._csrf_ok(scope, receive, headers, session)
            if checked is None:
                await self._refuse_csrf(scope, receive, send)
                return
            receive = checked
        await self.app(scope, receive, send)

    async def _csrf_ok(
        self, scope: Scope, receive: Receive, headers: Headers, session: Any
    ) -> Receive | None:
        """The receive channel to pass on when the CSRF token is right, else None."""
        if csrf_matches(session, headers.get(CSRF_HEADER)):
            return receive
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return None
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if len(body) > _MAX_FORM_BYTES:
                return None
            if not message.get("more_body", False):
                break
        presented = parse_qs(body.decode("latin-1")).get(CSRF_FIELD, [None])[0]
        if not csrf_matches(session, presented):
            return None

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        return replay

    async def _deny(self, scope: Scope, receive: Receive, send: Send, detail: str) -> None:
        response: Response = error_response(
            None,
            401,
            detail,
            path=scope["path"],
            accept=Headers(scope=scope).get("accept", ""),
            slug="unauthenticated",
            headers={"WWW-Authenticate": 'Bearer realm="prepaid"'},
        )
        await response(scope, receive, send)

    async def _refuse_csrf(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = "the form's security token is missing or stale; reload the page and try again"
        headers = Headers(scope=scope)
        response = error_response(
            None, 403, detail, path=scope["path"], accept=headers.get("accept", ""), slug="csrf"
        )
        await response(scope, receive, send)
