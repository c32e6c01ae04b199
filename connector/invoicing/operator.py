"""What an operator does to top-ups by hand: list them, retry one now, cancel one before it is booked.

Cancelling takes the top-up's lease first, exactly as a worker does, so a person and a worker
never act on one top-up at once; a draft that may exist in Teamleader (found by id or by marker)
is deleted there before the top-up is marked cancelled. A booked invoice is never touched: it is
undone in Teamleader with a credit note, which reverses the credit here.
"""

from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import IntegrityError

from connector.clock import SYSTEM_CLOCK, Now
from connector.errors import UserInputError
from connector.invoicing import outbox
from connector.invoicing.errors import TopupBusy, TopupNotCancellable, TopupNotFound, TopupNotRetryable
from connector.invoicing.invoice import find_by_marker
from connector.invoicing.model import RemoteInvoice, Topup, TopupStatus
from connector.invoicing.ports import InvoiceApi
from connector.storage.tables.invoicing import topup as topup_table
from connector.teamleader.errors import NotFound, TeamleaderError

__all__ = ["TopupOperator"]

_CANCELLABLE = (TopupStatus.PLANNED, TopupStatus.DRAFTING, TopupStatus.DRAFTED, TopupStatus.FAILED)
_CLOSED = (TopupStatus.CREDITED, TopupStatus.CANCELLED)
_LEASE = timedelta(minutes=2)


class TopupOperator:
    """The `prepaid topups` commands' service; `api` is only needed to cancel a drafted top-up."""

    def __init__(
        self,
        engine: Engine,
        api: InvoiceApi | None = None,
        *,
        actor: str | None = None,
        clock: Now = SYSTEM_CLOCK.now,
    ) -> None:
        self._engine = engine
        self._api = api
        self._actor = actor or f"cli:{os.getpid()}"
        self._clock = clock

    def list(self, *, budget_id: str | None = None, status: str | None = None) -> list[Topup]:
        if status is not None and status not in {s.value for s in TopupStatus}:
            raise UserInputError(
                f"unknown status {status!r}; use one of {', '.join(s.value for s in TopupStatus)}"
            )
        with self._engine.connect() as conn:
            return outbox.list_topups(conn, budget_id=budget_id, status=status)

    def get(self, topup_id: str) -> Topup:
        """One top-up, or `TopupNotFound`."""
        return self._load(topup_id)

    def _load(self, topup_id: str) -> Topup:
        with self._engine.connect() as conn:
            found = outbox.load(conn, topup_id)
        if found is None:
            raise TopupNotFound(topup_id)
        return found

    def retry(self, topup_id: str) -> Topup:
        """Make a failed top-up due again (resuming where it failed), or an open one due now."""
        current = self._load(topup_id)
        if current.status in _CLOSED:
            raise TopupNotRetryable(topup_id, f"it is {current.status.value}; nothing is left to do")
        now = self._clock()
        values: dict[str, object] = {"next_attempt_at": now, "updated_at": now}
        resume: TopupStatus | None = None
        if current.status is TopupStatus.FAILED:
            resume = TopupStatus.BOOKING if current.invoice_id else TopupStatus.DRAFTING
            values.update(status=resume.value, attempts=0, lease_until=None)
        try:
            with self._engine.begin() as conn:
                result = conn.execute(
                    update(topup_table)
                    .where(topup_table.c.id == topup_id, topup_table.c.status == current.status.value)
                    .values(**values)
                )
                if result.rowcount != 1:
                    raise TopupBusy(topup_id, current.owner or "another process")
                if resume is not None:
                    outbox.record_event(
                        conn,
                        topup_id,
                        current.status,
                        resume,
                        actor=self._actor,
                        now=now,
                    )
        except IntegrityError:
            raise TopupNotRetryable(
                topup_id, "its budget has another open top-up; cancel that one first (`prepaid topups list`)"
            ) from None
        return self._load(topup_id)

    def cancel(self, topup_id: str) -> Topup:
        """Cancel a top-up whose invoice is not booked, deleting its draft in Teamleader."""
        current = self._load(topup_id)
        if current.status not in _CANCELLABLE:
            raise TopupNotCancellable(topup_id, self._why_not(current))
        held = self._take_lease(current)
        if held.status is not TopupStatus.PLANNED:
            try:
                self._delete_draft(held)
            except (TeamleaderError, TopupNotCancellable):
                self._let_go(held)
                raise
        with self._engine.begin() as conn:
            return outbox.transition(
                conn,
                held,
                TopupStatus.CANCELLED,
                actor=self._actor,
                owner=self._actor,
                now=self._clock(),
                detail="cancelled by a person",
                lease_until=None,
                next_attempt_at=None,
            )

    def _why_not(self, current: Topup) -> str:
        if current.status in (TopupStatus.BOOKING, TopupStatus.BOOKED, TopupStatus.CREDITED):
            return (
                f"its invoice {current.invoice_number or current.invoice_id} is being or was booked; "
                "book a credit note on it in Teamleader instead"
            )
        return f"it is already {current.status.value}"

    def _take_lease(self, current: Topup) -> Topup:
        now = self._clock()
        with self._engine.begin() as conn:
            result = conn.execute(
                update(topup_table)
                .where(
                    topup_table.c.id == current.id,
                    topup_table.c.status == current.status.value,
                    or_(topup_table.c.lease_until.is_(None), topup_table.c.lease_until < now),
                )
                .values(owner=self._actor, lease_until=now + _LEASE)
            )
            if result.rowcount != 1:
                raise TopupBusy(current.id, current.owner or "another process")
            held = outbox.load(conn, current.id)
        assert held is not None
        return held

    def _let_go(self, held: Topup) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(topup_table)
                .where(topup_table.c.id == held.id, topup_table.c.owner == self._actor)
                .values(lease_until=None)
            )

    def _delete_draft(self, held: Topup) -> None:
        remote = self._find_invoice(held)
        if remote is None:
            return
        if not remote.is_draft:
            raise TopupNotCancellable(
                held.id,
                f"invoice {remote.invoice_number or remote.id} is already booked in Teamleader; "
                "book a credit note on it there, and the credit here is reversed",
            )
        assert self._api is not None
        self._api.delete_invoice(remote.id)

    def _find_invoice(self, held: Topup) -> RemoteInvoice | None:
        if self._api is None:
            raise TopupNotCancellable(
                held.id, "its draft must be deleted in Teamleader, and no client is set up"
            )
        if held.invoice_id is not None:
            try:
                return RemoteInvoice.from_api(self._api.invoice_info(held.invoice_id))
            except NotFound:
                return None
        return find_by_marker(self._api, held.marker)
