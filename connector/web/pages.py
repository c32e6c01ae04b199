"""The dashboard's pages: overview, budget page with its choices, top-ups, statements and customer links.

Choices post a form; a script (static/app.js) sends the same form with fetch and the
`X-Requested-With: fetch` header, and gets back only the live part of the page to swap in, so the
page updates without a reload and still works with JavaScript off (post, then redirect back).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from connector.web.access import public
from connector.web.chart import burn_chart
from connector.web.context import WebContext, actor, web
from connector.web.periods import parse_period
from connector.web.ports import ChoiceRefused
from connector.web.statement_csv import statement_csv, statement_filename
from connector.web.views import SOON_DAYS, BudgetRow, Concern, Statement

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Web = Annotated[WebContext, Depends(web)]

_COLUMNS: list[tuple[str, str, Callable[[BudgetRow], Any]]] = [
    ("attention", "Needs attention", lambda r: (r.urgency, r.forecast_date or date.max)),
    ("customer", "Customer", lambda r: r.customer_name.casefold()),
    ("budget", "Budget", lambda r: r.name.casefold()),
    ("balance", "Balance", lambda r: r.settled),
    ("provisional", "Provisional", lambda r: r.provisional),
    ("used", "Used", lambda r: r.share_used),
    ("threshold", "Threshold", lambda r: r.threshold),
    ("forecast", "Forecast", lambda r: r.forecast_date),
    ("sync", "Last sync", lambda r: r.last_sync),
]
_SORT_KEYS = {key: getter for key, _, getter in _COLUMNS}


def _sorted(rows: list[BudgetRow], sort: str, order: str) -> list[BudgetRow]:
    getter = _SORT_KEYS.get(sort, _SORT_KEYS["attention"])
    present = [r for r in rows if getter(r) is not None]
    missing = [r for r in rows if getter(r) is None]
    present.sort(key=lambda r: (getter(r), r.customer_name.casefold(), r.id), reverse=order == "desc")
    return present + missing


@router.get("/")
def overview(
    request: Request,
    ctx: Web,
    sort: Annotated[str, Query(max_length=20)] = "attention",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
) -> Response:
    """Every active budget, the most urgent first: negative (settled or provisional), top-ups held
    or failed, below the threshold, expected below it within a week; the counts above the table
    count the rows that show each concern."""
    rows = _sorted(list(ctx.read_model.overview()), sort, order)
    return ctx.page(
        request,
        "overview.html",
        section="overview",
        rows=rows,
        columns=[(key, label) for key, label, _ in _COLUMNS],
        sort=sort if sort in _SORT_KEYS else "attention",
        order=order,
        below=sum(1 for r in rows if r.below_threshold and not r.negative),
        negative=sum(1 for r in rows if r.negative),
        unresolved=ctx.read_model.unresolved_entries(),
        counts=[(c, sum(1 for r in rows if c in r.concerns)) for c in Concern],
        soon_days=SOON_DAYS,
    )


def _live_values(ctx: WebContext, budget_id: str) -> dict[str, Any]:
    detail = ctx.read_model.budget_page(budget_id)
    return {"d": detail, "chart": burn_chart(detail)}


@router.get("/budgets/{budget_id}")
def budget_page(request: Request, ctx: Web, budget_id: str) -> Response:
    values = _live_values(ctx, budget_id)
    return ctx.page(
        request, "budget.html", section="overview", default_period=f"{ctx.clock():%Y-%m}", **values
    )


@router.post("/budgets/{budget_id}/choices")
def choose(
    request: Request,
    ctx: Web,
    budget_id: str,
    action: Annotated[Literal["subtract", "exclude", "undo", "keep", "reverse"], Form()],
    entry_id: Annotated[list[str], Form(max_length=1000)] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    if not entry_id:
        raise ChoiceRefused("no time entry was selected; tick the entries to subtract, exclude or undo")
    perform = {
        "subtract": ctx.actions.subtract,
        "exclude": ctx.actions.exclude,
        "undo": ctx.actions.undo,
        "keep": ctx.actions.keep,
        "reverse": ctx.actions.reverse,
    }
    perform[action](budget_id, entry_id, actor(request))
    if request.headers.get("x-requested-with") == "fetch":
        return ctx.fragment(request, "_budget_live.html", **_live_values(ctx, budget_id))
    return RedirectResponse(f"/budgets/{budget_id}", status_code=303)


_DONE = {
    "retried": "Top-up {id} is due again: the invoicing worker takes it up within a minute.",
    "cancelled": "Top-up {id} is cancelled; its draft, if any, was deleted in Teamleader.",
}


@router.get("/topups")
def topups_page(
    request: Request,
    ctx: Web,
    done: Annotated[Literal["retried", "cancelled"] | None, Query()] = None,
    topup: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    notice = _DONE[done].format(id=topup) if done else None
    return ctx.page(request, "topups.html", section="topups", rows=ctx.topups.listing(), notice=notice)


@router.post("/topups/{topup_id}/retry")
def topup_retry(request: Request, ctx: Web, topup_id: str) -> Response:
    ctx.topups.retry(topup_id, actor(request))
    return RedirectResponse(f"/topups?done=retried&topup={quote(topup_id)}", status_code=303)


@router.post("/topups/{topup_id}/cancel")
def topup_cancel(request: Request, ctx: Web, topup_id: str) -> Response:
    ctx.topups.cancel(topup_id, actor(request))
    return RedirectResponse(f"/topups?done=cancelled&topup={quote(topup_id)}", status_code=303)


@router.get("/statements")
def statements_page(request: Request, ctx: Web) -> Response:
    rows = sorted(ctx.read_model.overview(), key=lambda r: (r.customer_name.casefold(), r.name.casefold()))
    this_month = ctx.clock().date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    return ctx.page(
        request,
        "statements.html",
        section="statements",
        rows=rows,
        months=[(f"{m:%Y-%m}", f"{m:%B %Y}") for m in (this_month, last_month)],
    )


@router.get("/budgets/{budget_id}/statement")
def statement_picker(budget_id: str, period: Annotated[str, Query(max_length=40)]) -> Response:
    label = parse_period(period).label
    return RedirectResponse(f"/budgets/{budget_id}/statements/{label}", status_code=303)


def _statement(ctx: WebContext, budget_id: str, period: str) -> Statement:
    return ctx.read_model.statement(budget_id, parse_period(period))


def _csv(statement: Statement, *, for_customer: bool = False) -> Response:
    disposition = f'attachment; filename="{statement_filename(statement)}"'
    return Response(
        statement_csv(statement, for_customer=for_customer),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


@router.get("/budgets/{budget_id}/statements/{period}")
def statement_page(request: Request, ctx: Web, budget_id: str, period: str) -> Response:
    statement = _statement(ctx, budget_id, period)
    csv_url = f"/budgets/{budget_id}/statements/{statement.period.label}/csv"
    return ctx.page(
        request, "statement.html", section="statements", s=statement, read_only=False, csv_url=csv_url
    )


@router.get("/budgets/{budget_id}/statements/{period}/csv")
def statement_csv_download(ctx: Web, budget_id: str, period: str) -> Response:
    return _csv(_statement(ctx, budget_id, period))


@router.post("/budgets/{budget_id}/statements/{period}/link")
def statement_link(request: Request, ctx: Web, budget_id: str, period: str) -> Response:
    statement = _statement(ctx, budget_id, period)
    token, expires_at = ctx.links.sign(budget_id, statement.period.label)
    csv_url = f"/budgets/{budget_id}/statements/{statement.period.label}/csv"
    return ctx.page(
        request,
        "statement.html",
        section="statements",
        s=statement,
        read_only=False,
        csv_url=csv_url,
        link=f"{ctx.public_url}/statement-links/{token}",
        link_expires=expires_at,
    )


@router.get("/statement-links/{token}")
@public
def shared_statement(request: Request, ctx: Web, token: str) -> Response:
    signed = ctx.links.open(token)
    statement = _statement(ctx, signed.budget_id, signed.period)
    return ctx.page(
        request,
        "statement.html",
        s=statement,
        read_only=True,
        csv_url=f"/statement-links/{token}/csv",
        user=None,
    )


@router.get("/statement-links/{token}/csv")
@public
def shared_statement_csv(ctx: Web, token: str) -> Response:
    signed = ctx.links.open(token)
    return _csv(_statement(ctx, signed.budget_id, signed.period), for_customer=True)
