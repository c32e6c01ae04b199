"""Why a budget's automatic top-ups are held right now, for the budget's own views.

When a guardrail stops a top-up, the reason lands on the top-up record and in a notification;
an operator looking at the budget should see it too, and before the next crossing, not after.
This module asks the same rule the crossing and the invoice worker ask
(`connector.billing.topup_blocked`), with the same inputs read by the same function
(`connector.invoicing.guards.guard_inputs`, which the crossing and the worker call too), plus an open top-up of the budget, for the top-up
the budget would invoice next: the one its balance calls for now, or, above the threshold, the
one a crossing would call for (the balance just below the threshold). A failed top-up holds the
budget too, until a person retries or cancels it (the worker's retry policy ends there); its hold
names the reason and the command `prepaid topups retry ID`. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from connector.billing import Budget, ReplenishMode, TopUpAmount, TopUpBlocked, topup_amount
from connector.invoicing.guards import GuardInputs, guard_inputs
from connector.invoicing.holds import retry_command
from connector.invoicing.model import OPEN_STATUSES, TopupKind, TopupStatus
from connector.storage.tables.invoicing import topup

__all__ = ["TopupHold", "topup_hold"]


@dataclass(frozen=True, slots=True)
class TopupHold:
    """What holds the budget's next automatic top-up, the figures behind it, and the top-up and
    command that lift it when a person can (`prepaid topups retry ID` for a failed top-up)."""

    reason: TopUpBlocked
    detail: str
    topup_id: str | None = None
    command: str | None = None

    @property
    def code(self) -> str:
        """A stable word for scripts: open_topup, paused, monthly_cap, near_end or failed."""
        return self.reason.name.lower()


@dataclass(frozen=True, slots=True)
class _Latest:
    """The fields of a budget's latest top-up that a hold's detail names."""

    id: str
    status: str
    invoice_number: str | None
    last_error: str | None
    next_attempt_at: datetime | None


def _latest(conn: Connection, b: Budget, statuses: list[str]) -> _Latest | None:
    """The budget's latest automatic top-up in one of `statuses`."""
    row = conn.execute(
        select(
            topup.c.id, topup.c.status, topup.c.invoice_number, topup.c.last_error, topup.c.next_attempt_at
        )
        .where(topup.c.budget_id == b.id, topup.c.kind == TopupKind.TOPUP.value, topup.c.status.in_(statuses))
        .order_by(topup.c.created_at.desc())
        .limit(1)
    ).first()
    return None if row is None else _Latest(row[0], row[1], row[2], row[3], row[4])


def _open_hold(b: Budget, opened: _Latest, now: datetime) -> TopupHold:
    """An open top-up holds the next one; one that is waiting to retry a failed call says so."""
    invoice = f" (invoice {opened.invoice_number})" if opened.invoice_number else ""
    text = f"top-up {opened.id} is {opened.status}{invoice}"
    due = opened.next_attempt_at
    if opened.last_error and due is not None and due > now:
        at = f"{due.astimezone(b.zone):%Y-%m-%d %H:%M %Z}"
        return TopupHold(
            TopUpBlocked.OPEN_TOPUP,
            f"{text}; its last try failed ({opened.last_error}), the next is at {at} "
            f"(`{retry_command(opened.id)}` tries now)",
            opened.id,
            retry_command(opened.id),
        )
    return TopupHold(
        TopUpBlocked.OPEN_TOPUP,
        f"{text}; the next one is planned once it is credited or cancelled "
        f"(`prepaid topups list --budget {b.id}`)",
        opened.id,
    )


def _failed_hold(failed: _Latest) -> TopupHold:
    command = retry_command(failed.id)
    error = failed.last_error or "no reason was recorded"
    return TopupHold(
        TopUpBlocked.FAILED,
        f"top-up {failed.id} failed: {error}. Fix the cause, then `{command}` "
        f"(or `prepaid topups cancel {failed.id}`)",
        failed.id,
        command,
    )


def _detail(b: Budget, reason: TopUpBlocked, amount: TopUpAmount, inputs: GuardInputs) -> str:
    unit, guard = b.unit, b.guardrails
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


def _paused_hold(b: Budget, failed: _Latest | None, inputs: GuardInputs) -> TopupHold:
    pause = b.guardrails.pause_after_failures
    text = f"the last {inputs.consecutive_failures} automatic top-ups failed in a row (paused after {pause})"
    if failed is None:
        return TopupHold(TopUpBlocked.PAUSED, text)
    error = f" with: {failed.last_error}" if failed.last_error else ""
    command = retry_command(failed.id)
    detail = f"{text}; the latest, {failed.id}, failed{error}. Fix that, then `{command}`"
    return TopupHold(TopUpBlocked.PAUSED, detail, failed.id, command)


def topup_hold(
    conn: Connection, b: Budget, *, settled: int, now: datetime, inputs: GuardInputs | None = None
) -> TopupHold | None:
    """What holds `b`'s next automatic top-up, or None (also for a one-off budget, and one whose
    replenish settings owe nothing). `settled` is the balance in its measure; `inputs`, when the
    caller already read them for `now`, saves reading them again.

    Besides the guardrails, a failed top-up holds the budget: it is the latest automatic top-up
    that was not cancelled, so no crossing will plan another while the balance stays below the
    threshold, and nothing retries it by itself (the worker's policy: a refusal, or no answer after
    the last try, waits for a person)."""
    if b.replenish.mode is not ReplenishMode.AUTO:
        return None
    amount = topup_amount(b, min(settled, b.threshold_measure - 1))
    if amount is None:
        return None
    if inputs is None:
        inputs = guard_inputs(conn, b, now)
    opened = _latest(conn, b, [s.value for s in OPEN_STATUSES])
    reason = inputs.blocked(b, amount, open_topup=opened is not None)
    if reason is TopUpBlocked.OPEN_TOPUP and opened is not None:
        return _open_hold(b, opened, now)
    settled_statuses = [
        s.value for s in TopupStatus if s is not TopupStatus.CANCELLED and s not in OPEN_STATUSES
    ]
    last = _latest(conn, b, settled_statuses)
    failed = last if last is not None and last.status == TopupStatus.FAILED.value else None
    if reason is TopUpBlocked.PAUSED:
        return _paused_hold(b, failed or _latest(conn, b, [TopupStatus.FAILED.value]), inputs)
    if reason is None:
        return None if failed is None else _failed_hold(failed)
    return TopupHold(reason, _detail(b, reason, amount, inputs))
