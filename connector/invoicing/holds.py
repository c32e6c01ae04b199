"""Top-ups that need a person or are waiting to retry, with the reason: one read for every view.

The overview (a budget whose top-up is held or failing stands out), the top-ups page, the budget
page and scripts all ask `held_or_failed_topups`, so they agree on what "held" means:

- `held`: the top-up failed (Teamleader refused a call, or gave no answer after the last try of
  the retry policy, see `connector.invoicing.worker`) and nothing retries it by itself; the
  command `prepaid topups retry ID` resumes it once the cause is fixed;
- `retrying`: its last call failed and the worker tries again at `next_try_at`; the same command
  tries at once.

Only reads; the newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, and_, or_, select

from connector.invoicing.model import OPEN_STATUSES, TopupStatus
from connector.storage.tables.invoicing import topup

__all__ = ["HeldTopup", "HoldState", "held_or_failed_topups", "retry_command"]


class HoldState(StrEnum):
    HELD = "held"
    RETRYING = "retrying"


def retry_command(topup_id: str) -> str:
    """The command that retries a top-up now."""
    return f"prepaid topups retry {topup_id}"


@dataclass(frozen=True, slots=True)
class HeldTopup:
    """One top-up that failed or is waiting to retry, and why."""

    topup_id: str
    budget_id: str
    kind: str
    status: TopupStatus
    state: HoldState
    reason: str
    since: datetime
    next_try_at: datetime | None
    invoice_number: str | None
    amount_cents: int
    currency: str | None

    @property
    def command(self) -> str:
        """What a person runs to retry it (after fixing the cause, for a held one)."""
        return retry_command(self.topup_id)


def held_or_failed_topups(conn: Connection, *, budget_ids: Sequence[str] | None = None) -> list[HeldTopup]:
    """Every held (failed) top-up and every open one waiting to retry a failed call, newest first;
    only those of `budget_ids` when given."""
    waiting = and_(
        topup.c.status.in_([s.value for s in OPEN_STATUSES]),
        topup.c.last_error.is_not(None),
        topup.c.next_attempt_at.is_not(None),
    )
    query = (
        select(topup)
        .where(or_(topup.c.status == TopupStatus.FAILED.value, waiting))
        .order_by(topup.c.updated_at.desc())
    )
    if budget_ids is not None:
        query = query.where(topup.c.budget_id.in_(list(budget_ids)))
    found = []
    for row in conn.execute(query).mappings():
        status = TopupStatus(row["status"])
        held = status is TopupStatus.FAILED
        found.append(
            HeldTopup(
                topup_id=row["id"],
                budget_id=row["budget_id"],
                kind=row["kind"],
                status=status,
                state=HoldState.HELD if held else HoldState.RETRYING,
                reason=row["last_error"] or "no reason was recorded",
                since=row["updated_at"],
                next_try_at=None if held else row["next_attempt_at"],
                invoice_number=row["invoice_number"],
                amount_cents=row["amount_cents"],
                currency=row["currency"],
            )
        )
    return found
