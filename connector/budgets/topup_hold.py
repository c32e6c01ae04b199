"""Why a budget's automatic top-ups are held right now, for the budget's own views.

When a guardrail stops a top-up, the reason lands on the top-up record and in a notification;
an operator looking at the budget should see it too, and before the next crossing, not after.
This module asks the same rule the crossing and the invoice worker ask
(`connector.billing.topup_blocked`), with the same inputs read by the same function
(`connector.invoicing.guards.guard_inputs`, which the crossing and the worker call too), plus an open top-up of the budget, for the top-up
the budget would invoice next: the one its balance calls for now, or, above the threshold, the
one a crossing would call for (the balance just below the threshold). Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from connector.billing import Budget, ReplenishMode, TopUpAmount, TopUpBlocked, topup_amount
from connector.invoicing.guards import GuardInputs, guard_inputs
from connector.invoicing.model import OPEN_STATUSES, TopupKind, TopupStatus
from connector.storage.tables.invoicing import topup

__all__ = ["TopupHold", "topup_hold"]


@dataclass(frozen=True, slots=True)
class TopupHold:
    """The guardrail that holds the budget's next automatic top-up, and the figures behind it."""

    reason: TopUpBlocked
    detail: str

    @property
    def code(self) -> str:
        """A stable word for scripts: open_topup, paused, monthly_cap or near_end."""
        return self.reason.name.lower()


_Row = tuple[str, str, str | None, str | None]


def _latest(conn: Connection, b: Budget, statuses: list[str]) -> _Row | None:
    """The budget's latest automatic top-up in one of `statuses`: id, status, invoice number, error."""
    row = conn.execute(
        select(topup.c.id, topup.c.status, topup.c.invoice_number, topup.c.last_error)
        .where(topup.c.budget_id == b.id, topup.c.kind == TopupKind.TOPUP.value, topup.c.status.in_(statuses))
        .order_by(topup.c.created_at.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


def _detail(
    conn: Connection,
    b: Budget,
    reason: TopUpBlocked,
    amount: TopUpAmount,
    *,
    opened: _Row | None,
    inputs: GuardInputs,
) -> str:
    unit, guard = b.unit, b.guardrails
    if reason is TopUpBlocked.OPEN_TOPUP and opened is not None:
        topup_id, status, number, _ = opened
        invoice = f" (invoice {number})" if number else ""
        return (
            f"top-up {topup_id} is {status}{invoice}; the next one is planned once it is credited "
            f"or cancelled (`prepaid topups list --budget {b.id}`)"
        )
    if reason is TopUpBlocked.PAUSED:
        pause = guard.pause_after_failures
        text = (
            f"the last {inputs.consecutive_failures} automatic top-ups failed in a row (paused after {pause})"
        )
        failed = _latest(conn, b, [TopupStatus.FAILED.value])
        if failed is None:
            return text
        error = f" with: {failed[3]}" if failed[3] else ""
        retry = f"`prepaid topups retry {failed[0]}`"
        return f"{text}; the latest, {failed[0]}, failed{error}. Fix that, then {retry}"
    if reason is TopUpBlocked.MONTHLY_CAP:
        cap = 0 if guard.monthly_cap is None else unit.measure(guard.monthly_cap)
        return (
            f"{unit.format(inputs.invoiced_this_month)} invoiced automatically since "
            f"{inputs.month_start:%Y-%m-%d}; the next top-up "
            f"of {unit.format(amount.measure)} would pass the monthly cap of {unit.format(cap)}"
        )
    return (
        f"the budget ends on {b.end}, and no automatic top-up is made in its last "
        f"{guard.no_topup_days_before_end} days"
    )


def topup_hold(
    conn: Connection, b: Budget, *, settled: int, now: datetime, inputs: GuardInputs | None = None
) -> TopupHold | None:
    """The guardrail holding `b`'s next automatic top-up, or None (also for a one-off budget,
    and one whose replenish settings owe nothing). `settled` is the balance in its measure;
    `inputs`, when the caller already read them for `now`, saves reading them again."""
    if b.replenish.mode is not ReplenishMode.AUTO:
        return None
    amount = topup_amount(b, min(settled, b.threshold_measure - 1))
    if amount is None:
        return None
    if inputs is None:
        inputs = guard_inputs(conn, b, now)
    opened = _latest(conn, b, [s.value for s in OPEN_STATUSES])
    reason = inputs.blocked(b, amount, open_topup=opened is not None)
    if reason is None:
        return None
    return TopupHold(reason, _detail(conn, b, reason, amount, opened=opened, inputs=inputs))
