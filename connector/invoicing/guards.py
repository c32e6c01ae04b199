"""The guardrails as the worker applies them, just before a planned top-up becomes an invoice.

The rules themselves are `connector.billing.threshold.topup_blocked`, shared with the forecast and
the what-if; this module feeds them what only the outbox knows: how much was invoiced
automatically this month (in the budget's time zone) and how many top-ups failed in a row.
Only automatic threshold top-ups are guarded; period grants and overage invoices follow the
budget's period policy, which a person chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection

from connector.billing.budget import Budget
from connector.billing.threshold import TopUpAmount, TopUpBlocked, topup_blocked
from connector.invoicing.invoice import topup_money
from connector.invoicing.model import Topup, TopupKind
from connector.invoicing.outbox import consecutive_failures, invoiced_this_month

__all__ = ["GuardInputs", "blocked_by_guardrail", "guard_inputs", "veto_ends"]


@dataclass(frozen=True, slots=True)
class GuardInputs:
    """What the outbox knows that `topup_blocked` needs, as of one moment: the budget's local day,
    the start of its month in the budget's time zone, the automatic top-ups invoiced since then
    (in the budget's measure) and how many top-ups failed in a row."""

    today: date
    month_start: datetime
    invoiced_this_month: int
    consecutive_failures: int

    def blocked(self, b: Budget, amount: TopUpAmount, *, open_topup: bool) -> TopUpBlocked | None:
        """The guardrail that stops `amount` now, or None."""
        return topup_blocked(
            b,
            amount,
            today=self.today,
            open_topup=open_topup,
            invoiced_this_month=self.invoiced_this_month,
            consecutive_failures=self.consecutive_failures,
        )


def guard_inputs(conn: Connection, b: Budget, now: datetime, *, exclude: str | None = None) -> GuardInputs:
    """`b`'s guardrail inputs at `now`: one read each of the month's invoiced total (leaving out
    the top-up `exclude`, the one being judged) and of the failures. The threshold crossing, the
    budget's hold and forecast, and the worker all read them here."""
    local = now.astimezone(b.zone)
    month_start = datetime.combine(local.date().replace(day=1), time(0), tzinfo=b.zone)
    return GuardInputs(
        today=local.date(),
        month_start=month_start,
        invoiced_this_month=invoiced_this_month(
            conn, b.id, month_start, hours=b.unit.is_hours, exclude=exclude
        ),
        consecutive_failures=consecutive_failures(conn, b.id),
    )


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
    return guard_inputs(conn, budget, now, exclude=topup.id).blocked(budget, candidate, open_topup=False)


def veto_ends(topup: Topup, budget: Budget) -> datetime | None:
    """When the veto window of a drafted top-up closes (None: no window, book at once)."""
    hours = budget.guardrails.veto_hours
    if not hours or topup.drafted_at is None:
        return None
    return topup.drafted_at + timedelta(hours=hours)
