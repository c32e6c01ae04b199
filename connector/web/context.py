"""What every route reaches through `request.app.state.web`: the ports, the templates, the clock.

One object built by `create_app`, so routes take their collaborators from the app they run in
(tests build several apps side by side) and nothing is a module global.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from connector.web import formatting, ledger_words
from connector.web.links import StatementLinks
from connector.web.ports import BudgetActions, DashboardReadModel, TopupDesk
from connector.web.security import Authenticator, csrf_token

__all__ = ["WebContext", "build_templates", "web"]

TEMPLATES = Path(__file__).parent / "templates"


def _bar_width(share: Decimal) -> str:
    return f"{max(Decimal(0), min(Decimal(100), share * 100)):.0f}"


def build_templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.update(
        amount=formatting.amount,
        hours=formatting.hours,
        in_unit=formatting.in_unit,
        duration=formatting.duration,
        percent=formatting.percent,
        when=formatting.when,
        topup_state=formatting.topup_state,
        bar_width=_bar_width,
        described_ledger=ledger_words.described_ledger,
        statement_rows=ledger_words.statement_rows,
    )
    return env


@dataclass
class WebContext:
    read_model: DashboardReadModel
    actions: BudgetActions
    topups: TopupDesk
    authenticator: Authenticator
    links: StatementLinks
    templates: Environment
    clock: Callable[[], datetime]
    public_url: str

    def page(self, request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        """Render a template with the user and the session's CSRF token that its forms echo."""
        session = request.scope.get("session", {})
        values.setdefault("user", session.get("user"))
        values.setdefault("csrf", csrf_token(session))
        return HTMLResponse(self.templates.get_template(name).render(**values), status_code=status)

    def fragment(self, request: Request, name: str, **values: Any) -> HTMLResponse:
        session = request.scope.get("session", {})
        values.setdefault("csrf", csrf_token(session))
        return HTMLResponse(self.templates.get_template(name).render(**values))


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def actor(request: Request) -> str:
    """Who the ledger records for this request: `web:<user>` or `api:token`."""
    return str(request.scope.get("state", {}).get("principal") or "web:unknown")
