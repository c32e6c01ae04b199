"""The guardrails as the worker applies them, just before a planned top-up becomes an invoice.

The rules themselves are `connector.billing.threshold.topup_blocked`, shared with the forecast and
the what-if; this module feeds them what only the outbox knows: how much was invoiced
automatically this month (in the budget's time zone) and how many top-ups failed in a row.
Only automatic threshold top-ups are guarded; period grants and overage invoices follow the
budget's period policy, which a person chose.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import Connection

from connector.billing.budget import Budget
from connector.billing.threshold import TopUpAmount, TopUpBlocked, topup_blocked
from connector.invoicing.invoice import topup_money
from connector.invoicing.model import Topup, TopupKind
from connector.invoicing.outbox import consecutive_failures, invoiced_this_month

__all__ = ["blocked_by_guardrail", "veto_ends"]


def _month_start(budget: Budget, now: datetime) -> datetime:
    local = now.astimezone(budget.zone)
    return datetime.combine(local.date().replace(day=1), time(0), tzinfo=budget.zone)


def blocked_by_guardrail(
    conn: Connection, topup: Topup, budget: Budget, now: datetime
) -> TopUpBlocked | None:
    """Why `topup` may not be invoiced now, or None."""
    if topup.kind != TopupKind.TOPUP:
        return None
    hours = budget.unit.is_hours
    measure = topup.quantity_seconds if hours and topup.quantity_seconds else topup.amount_cents
    amount = topup_money(topup, budget)
    candidate = TopUpAmount(measure, budget.unit.quantity(measure), amount, amount, topup.line_text or "")
    return topup_blocked(
        budget,
        candidate,
        today=now.astimezone(budget.zone).date(),
        open_topup=False,
        invoiced_this_month=invoiced_this_month(
            conn, budget.id, _month_start(budget, now), hours=hours, exclude=topup.id
        ),
        consecutive_failures=consecutive_failures(conn, budget.id),
    )


def veto_ends(topup: Topup, budget: Budget) -> datetime | None:
    """When the veto window of a drafted top-up closes (None: no window, book at once)."""
    hours = budget.guardrails.veto_hours
    if not hours or topup.drafted_at is None:
        return None
    return topup.drafted_at + timedelta(hours=hours)
