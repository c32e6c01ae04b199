"""The JSON API under /api/v1: budgets, entries, choices, ledger, top-ups and statements.

Scripts authenticate with `Authorization: Bearer <PREPAID_API_TOKEN>`; a logged-in browser may
call it too (then unsafe methods need the `X-CSRF-Token` header). Amounts are JSON strings
("1234.50"), never floats. Every error is an RFC 9457 problem (`application/problem+json`).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from connector.web.context import WebContext, actor, web
from connector.web.periods import parse_period
from connector.web.problems import PROBLEM_RESPONSES
from connector.web.views import (
    BudgetRow,
    BurnPoint,
    ChoiceOutcome,
    Concern,
    EntryState,
    EntryView,
    Forecast,
    LedgerLineView,
    Statement,
    StatementLine,
    TopupHoldView,
    TopupView,
    Unit,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["api"], responses=PROBLEM_RESPONSES)
Web = Annotated[WebContext, Depends(web)]
BudgetId = Annotated[str, Path(min_length=1, max_length=100, description="The budget's id.")]
Period = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        pattern=r"^\d{4}(-(\d{2}|[Qq][1-4])|-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})?$",
        description="2026-11 (a month), 2026-Q4, 2026 (a year) or 2026-11-01..2026-11-15.",
    ),
]


class Budget(BaseModel):
    """A budget with both balances in its unit (money: an amount of `currency`; hours: hours).

    `forecast_date` is the day the balance is expected below the threshold (the budget's own
    forecast); `concerns` what needs doing, most urgent first (negative, topup_held,
    below_threshold, crossing_soon: below it within 7 days), `urgency` the rank of the first
    (0 = negative, 4 = nothing), as the overview sorts and highlights them; `negative` and
    `below_threshold` keep their meaning (the settled balance alone)."""

    id: str
    customer_name: str
    name: str
    unit: Unit
    currency: str
    settled: Decimal
    provisional: Decimal
    threshold: Decimal
    share_used: Decimal
    hours: Decimal | None
    forecast_date: date | None
    open_topup: TopupView | None
    last_sync: datetime | None
    below_threshold: bool
    negative: bool
    crossing_in_days: int | None = None
    topup_hold: TopupHoldView | None = None
    concerns: list[Concern] = Field(default_factory=list)
    urgency: int = len(Concern)

    @classmethod
    def of(cls, row: BudgetRow) -> Budget:
        return cls(
            **asdict(row),
            below_threshold=row.below_threshold,
            negative=row.negative,
            concerns=list(row.concerns),
            urgency=row.urgency,
        )


class BudgetDetail(BaseModel):
    """A budget, its forecast and balance over time; `topup_hold` says why no automatic top-up is
    coming while a guardrail holds it (null otherwise)."""

    budget: Budget
    forecast: Forecast
    burn: list[BurnPoint]
    topup_hold: TopupHoldView | None = None


class Choice(BaseModel):
    """Subtract, exclude, or undo (return to pending) these time entries of the budget, all or none."""

    action: Literal["subtract", "exclude", "undo"]
    entry_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=1000
    )


class StatementOut(BaseModel):
    budget: Budget
    period_start: date
    period_end: date
    period: str
    opening: Decimal
    lines: list[StatementLine]
    topups: list[TopupView]
    closing: Decimal

    @classmethod
    def of(cls, statement: Statement) -> StatementOut:
        return cls(
            budget=Budget.of(statement.budget),
            period_start=statement.period.start,
            period_end=statement.period.end,
            period=statement.period.label,
            opening=statement.opening,
            lines=list(statement.lines),
            topups=list(statement.topups),
            closing=statement.closing,
        )


class StatementLink(BaseModel):
    url: str
    expires_at: datetime


@router.get("/budgets", summary="Every active budget with its balances, the most urgent first")
def list_budgets(ctx: Web) -> list[Budget]:
    rows = sorted(ctx.read_model.overview(), key=lambda r: (r.urgency, r.forecast_date or date.max, r.id))
    return [Budget.of(row) for row in rows]


@router.get("/budgets/{budget_id}", summary="One budget, its forecast and its balance over time")
def get_budget(ctx: Web, budget_id: BudgetId) -> BudgetDetail:
    detail = ctx.read_model.budget_page(budget_id)
    return BudgetDetail(
        budget=Budget.of(detail.budget),
        forecast=detail.forecast,
        burn=list(detail.burn),
        topup_hold=detail.topup_hold,
    )


@router.get(
    "/budgets/{budget_id}/entries",
    summary="The budget's time entries, newest first (state invoiced: Teamleader invoiced it, read-only)",
)
def list_entries(
    ctx: Web, budget_id: BudgetId, state: Annotated[EntryState | None, Query()] = None
) -> list[EntryView]:
    return list(ctx.read_model.entries(budget_id, state))


@router.post("/budgets/{budget_id}/choices", summary="Subtract, exclude or undo time entries")
def make_choice(request: Request, ctx: Web, budget_id: BudgetId, choice: Choice) -> ChoiceOutcome:
    perform = {"subtract": ctx.actions.subtract, "exclude": ctx.actions.exclude, "undo": ctx.actions.undo}
    return perform[choice.action](budget_id, choice.entry_ids, actor(request))


@router.get("/budgets/{budget_id}/ledger", summary="Every ledger line, oldest first")
def list_ledger(ctx: Web, budget_id: BudgetId) -> list[LedgerLineView]:
    return list(ctx.read_model.ledger(budget_id))


@router.get("/budgets/{budget_id}/topups", summary="Every top-up with its invoice number, newest first")
def list_topups(ctx: Web, budget_id: BudgetId) -> list[TopupView]:
    return list(ctx.read_model.topups(budget_id))


@router.get("/budgets/{budget_id}/statements/{period}", summary="The statement of one period")
def get_statement(ctx: Web, budget_id: BudgetId, period: Period) -> StatementOut:
    return StatementOut.of(ctx.read_model.statement(budget_id, parse_period(period)))


@router.post(
    "/budgets/{budget_id}/statements/{period}/links",
    summary="A signed, expiring, read-only link to the statement, for the customer",
)
def create_statement_link(ctx: Web, budget_id: BudgetId, period: Period) -> StatementLink:
    statement = ctx.read_model.statement(budget_id, parse_period(period))
    token, expires_at = ctx.links.sign(budget_id, statement.period.label)
    return StatementLink(url=f"{ctx.public_url}/statement-links/{token}", expires_at=expires_at)
