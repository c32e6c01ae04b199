"""The web app factory: dashboard pages, JSON API, health and metrics, behind one access gate.

`create_app(container, read_model=..., actions=...)` builds a FastAPI app around the two ports
(`connector.web.ports`); the composition root passes the budgets service adapted to them, tests
pass `connector.web.memory`. Other layers add their routes with `routers=` (the webhook receiver
marks its endpoint `@public_machine`); every route is private unless its endpoint says otherwise.

Middleware, outermost first: request metrics, the signed session cookie (HttpOnly, SameSite=Lax,
Secure when PREPAID_PUBLIC_URL is https, key `settings.derived_key("sessions")`), the access gate
(login or API token, CSRF). Sessions are stateless signed cookies: logging out clears the cookie,
and changing PREPAID_SECRET_KEY ends every session.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.routing import RouteContext
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector.bootstrap import Container
from connector.logging import register_secret
from connector.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS
from connector.web import api, health, login, pages
from connector.web.access import AccessMiddleware, app_routes
from connector.web.context import WebContext, build_templates
from connector.web.health import HealthConfig, ReadinessCheck
from connector.web.links import StatementLinks
from connector.web.ports import BudgetActions, DashboardReadModel, TopupDesk
from connector.web.problems import install_error_handlers
from connector.web.security import Authenticator

__all__ = ["SESSION_COOKIE", "create_app"]

SESSION_COOKIE = "prepaid_session"
STATIC = Path(__file__).parent / "static"


class _RequestMetrics:
    """Counts requests by route template (never the raw path: it may hold the webhook secret)."""

    def __init__(self, app: ASGIApp, routes: Callable[[], Sequence[RouteContext]]) -> None:
        self.app = app
        self._routes = routes

    def _template(self, scope: Scope) -> str:
        for route in self._routes():
            if route.matches(scope)[0] is Match.FULL:
                return route.path or "other"
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, note)
        finally:
            route = self._template(scope)
            HTTP_REQUESTS.labels(route=route, method=scope["method"], status=str(status)).inc()
            HTTP_REQUEST_SECONDS.labels(route=route).observe(time.perf_counter() - started)


def create_app(
    container: Container,
    *,
    read_model: DashboardReadModel,
    actions: BudgetActions,
    topups: TopupDesk | None = None,
    token_check: ReadinessCheck | None = None,
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    on_scrape: Callable[[], None] | None = None,
    routers: Sequence[APIRouter] = (),
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The whole web app; `topups` defaults to the container's outbox, `token_check` and
    `readiness_checks` join /readyz, `on_scrape` runs before /metrics."""
    settings = container.settings
    now = clock or container.clock.now
    if settings.api_token is not None:
        register_secret(settings.api_token.get_secret_value())
    app = FastAPI(
        title="Prepaid budgets API",
        version="1",
        description="Budgets, time entries, choices, ledger, top-ups and statements. "
        "Authenticate with `Authorization: Bearer <PREPAID_API_TOKEN>`.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    authenticator = Authenticator(settings)
    app.state.web = WebContext(
        read_model=read_model,
        actions=actions,
        topups=topups or container.topup_desk(),
        authenticator=authenticator,
        links=StatementLinks(
            settings.derived_key("statement-links"), timedelta(days=settings.statement_link_days), now
        ),
        templates=build_templates(),
        clock=now,
        public_url=settings.public_url,
    )
    checks = dict(readiness_checks or {})
    if token_check is not None:
        checks["token"] = token_check
    app.state.health = HealthConfig(container=container, checks=checks, on_scrape=on_scrape)
    for router in (health.router, login.router, pages.router, api.router, *routers):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_handlers(app)
    app.add_middleware(
        AccessMiddleware,
        routes=lambda: app_routes(app),
        authenticator=authenticator,
        public_mounts=("static",),
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.derived_key("sessions").decode(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.public_url.startswith("https://"),
    )
    app.add_middleware(_RequestMetrics, routes=lambda: app_routes(app))
    return app
