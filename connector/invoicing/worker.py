"""The top-up worker: drives each claimed top-up through its persisted state machine, exactly once.

    planned --(guardrails)--> drafting --draft--> drafted --(veto window)--> booking --book--> booked
       |                         |                   |                          |                |
       v                         v                   v                          v                v
    cancelled                 failed            (waits: book off)            failed          credited

Every state is committed before the Teamleader call it announces, so a row found in `drafting` or
`booking` when claimed means "a call may have been applied": the worker then looks for the
invoice (by its marker, or by re-reading it with `invoices.info`) before sending anything again,
and adopts what it finds. A row is driven only by the worker holding its lease (and, on
PostgreSQL, a session advisory lock that dies with the process), so two workers never send the
same call. The credit is appended by the `CreditSink` in the transaction that marks the row
credited. `checkpoint` is called with a name after each recovery point (see `CHECKPOINTS`), so
tests can stop the worker at any point of the machine.

Several top-ups are in flight at once (`concurrency`, PREPAID_TOPUP_CONCURRENCY; see
`connector.invoicing.slots`), each in its own thread with its own lease, so one slow call holds
one slot. The retry policy, as PRODUCT.md
puts it, "automatic top-ups pause after repeated failures and say why":

- a call Teamleader did not answer (timeout, dropped connection, 5xx, 429 past the client's own
  waits) is retried: the top-up is let go with its next try after `backoff`, doubled after each
  failed try up to `max_backoff`, and a write is looked up by its marker before it is resent
  (a draft not before `resend_after` since it was sent, so one Teamleader applies late is found);
- after `max_attempts` tries of one step without an answer, or at once when Teamleader refused
  the call (it would refuse the same call again), the top-up is held: state `failed`, with the
  reason, until a person runs `prepaid topups retry ID` (or cancels it). The budget's views
  report the hold (`connector.budgets.topup_hold`) and promise no top-up date meanwhile.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Collection
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, update

from connector.billing.budget import Budget, CreditOn
from connector.clock import SYSTEM_CLOCK, Now
from connector.invoicing import outbox
from connector.invoicing.credit import credit_topup
from connector.invoicing.guards import blocked_by_guardrail, veto_ends
from connector.invoicing.invoice import draft_body, find_by_marker, line_text, topup_money
from connector.invoicing.model import RemoteInvoice, Topup, TopupStatus
from connector.invoicing.notify import Notifier
from connector.invoicing.ports import BudgetLookup, CreditSink, InvoiceApi
from connector.invoicing.slots import drive_in_slots
from connector.logging import get_logger
from connector.storage.locks import process_lock
from connector.storage.tables.invoicing import topup as topup_table
from connector.teamleader.errors import (
    MalformedResponse,
    NotFound,
    RateLimited,
    RequestFailed,
    TeamleaderError,
    TransportFailed,
)

__all__ = ["CHECKPOINTS", "Checkpoint", "TopupWorker"]

_log = get_logger(__name__)

CHECKPOINTS = ("drafting", "draft-sent", "drafted", "booking", "book-sent", "booked", "credited")
Checkpoint = Callable[[str], None]
_MAX_DOUBLINGS = 20


def is_refusal(error: TeamleaderError) -> bool:
    """Teamleader answered and refused the call: it was certainly not applied."""
    if isinstance(error, RateLimited | MalformedResponse):
        return False
    return isinstance(error, RequestFailed) and 400 <= error.status < 500 and error.status != 401


def never_sent(error: TeamleaderError) -> bool:
    """The call never reached Teamleader (no connection, or a 429 it did not execute)."""
    return isinstance(error, RateLimited) or (isinstance(error, TransportFailed) and not error.sent)


@dataclass(frozen=True, slots=True)
class _Work:
    topup: Topup
    budget: Budget


class TopupWorker:
    """Claims due top-ups and drives each as far as it can go now."""

    def __init__(
        self,
        engine: Engine,
        api: InvoiceApi,
        budgets: BudgetLookup,
        credits: CreditSink,
        *,
        notifier: Notifier | None = None,
        name: str | None = None,
        lease: timedelta = timedelta(minutes=5),
        max_attempts: int = 12,
        backoff: timedelta = timedelta(seconds=15),
        max_backoff: timedelta = timedelta(minutes=2),
        concurrency: int = 8,
        resend_after: timedelta = timedelta(seconds=60),
        clock: Now = SYSTEM_CLOCK.now,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        self._engine = engine
        self._api = api
        self._budgets = budgets
        self._credits = credits
        self._notifier = notifier or Notifier(None)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._lease = lease
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        if concurrency < 1:
            raise ValueError(f"a top-up worker needs at least one slot, not {concurrency}")
        self._concurrency = concurrency
        self._resend_after = resend_after
        self._clock = clock
        self._checkpoint = checkpoint or (lambda _name: None)

    def run_once(self, limit: int = 100) -> int:
        """Drive every due top-up (up to `limit`), up to `concurrency` at once; how many were driven.

        On SQLite (one instance) the whole drain holds a lock file beside the database, so a second
        process never drives a top-up whose lease expired while its worker is still alive.
        """
        sqlite = self._engine.dialect.name == "sqlite"
        with process_lock(self._engine, "topup-worker") if sqlite else nullcontext(True) as alone:
            return self._drain(limit) if alone else 0

    def _drain(self, limit: int) -> int:
        return drive_in_slots(self._claim, self.drive, slots=self._concurrency, limit=limit, name=self.name)

    def _claim(self, room: int, in_flight: Collection[str]) -> list[str]:
        with self._engine.begin() as conn:
            return outbox.claim_due(
                conn, owner=self.name, now=self._clock(), lease=self._lease, limit=room, exclude=in_flight
            )

    def drive(self, topup_id: str) -> Topup | None:
        """Drive one top-up that this worker has claimed; its row when the worker let go.

        On PostgreSQL a session advisory lock on the top-up is held while it is driven: it dies
        with the process, so a worker that lost its lease (paused, slow) still excludes others.
        """
        postgres = self._engine.dialect.name == "postgresql"
        with process_lock(self._engine, f"topup:{topup_id}") if postgres else nullcontext(True) as alone:
            if not alone:
                return None
            try:
                self._drive(topup_id)
            except outbox.Superseded as gone:
                _log.info("topup.superseded", topup_id=topup_id, detail=str(gone), worker=self.name)
        with self._engine.connect() as conn:
            return outbox.load(conn, topup_id)

    def _drive(self, topup_id: str) -> None:
        with self._engine.begin() as conn:
            current = outbox.load(conn, topup_id)
            budget = None if current is None else self._budgets.budget(conn, current.budget_id)
        if current is None or current.owner != self.name:
            return
        if budget is None:
            self._close(current, TopupStatus.CANCELLED, "the budget no longer exists")
            return
        steps = {
            TopupStatus.PLANNED: self._start,
            TopupStatus.DRAFTING: self._draft,
            TopupStatus.DRAFTED: self._after_draft,
            TopupStatus.BOOKING: self._book,
            TopupStatus.BOOKED: self._settle,
        }
        work: _Work | None = _Work(current, budget)
        while work is not None and work.topup.status in steps:
            work = steps[work.topup.status](work)

    def _move(self, work: _Work, to: TopupStatus, detail: str | None = None, **values: object) -> _Work:
        with self._engine.begin() as conn:
            moved = outbox.transition(
                conn,
                work.topup,
                to,
                actor=self.name,
                owner=self.name,
                now=self._clock(),
                detail=detail,
                lease_until=self._clock() + self._lease,
                **values,
            )
        return _Work(moved, work.budget)

    def _start(self, work: _Work) -> _Work | None:
        """planned -> drafting, unless a guardrail stops the top-up first."""
        topup, budget = work.topup, work.budget
        now = self._clock()
        with self._engine.begin() as conn:
            blocked = blocked_by_guardrail(conn, topup, budget, now)
            text = line_text(topup, budget, self._budgets.customer_name(conn, budget))
        if blocked is not None:
            self._close(topup, TopupStatus.CANCELLED, f"blocked: {blocked.value}")
            self._notifier.topup_blocked(budget.name, topup.id, blocked.value)
            return None
        moved = self._move(
            work,
            TopupStatus.DRAFTING,
            attempts=1,
            currency=budget.unit.currency,
            line_text=text,
            next_attempt_at=now,
            draft_sent_at=now,
        )
        self._checkpoint("drafting")
        return self._send_draft(moved)

    def _draft(self, work: _Work) -> _Work | None:
        """Found in drafting: the last draft call may have been applied, so look before sending."""
        try:
            found = find_by_marker(self._api, work.topup.marker)
        except TeamleaderError as error:
            return self._postpone(work, error)
        if found is not None:
            return self._adopt(work, found)
        sent = work.topup.draft_sent_at
        if sent is not None and self._clock() < sent + self._resend_after:
            return self._look_again(work, sent + self._resend_after)
        if work.topup.attempts >= self._max_attempts:
            reason = (
                f"no answer from Teamleader after {work.topup.attempts} tries to draft the invoice; "
                f"last error: {work.topup.last_error}"
            )
            return self._fail(work, reason)
        again = self._move(
            work, TopupStatus.DRAFTING, attempts=work.topup.attempts + 1, draft_sent_at=self._clock()
        )
        return self._send_draft(again)

    def _look_again(self, work: _Work, at: datetime) -> _Work | None:
        """No invoice carries the marker yet, but the last draft may still be in flight at
        Teamleader (its answer timed out, not its work): look once more at `at` before resending."""
        now = self._clock()
        with self._engine.begin() as conn:
            self._release(conn, work.topup, next_attempt_at=at)
            outbox.record_event(
                conn,
                work.topup.id,
                work.topup.status,
                work.topup.status,
                actor=self.name,
                now=now,
                detail=f"no invoice with marker {work.topup.marker} yet; looking again at {at:%H:%M:%S %Z} "
                "before sending the draft again",
            )
        return None

    def _send_draft(self, work: _Work) -> _Work | None:
        topup, budget = work.topup, work.budget
        body = draft_body(topup, budget, topup.line_text or "")
        try:
            invoice_id = self._api.draft_invoice(body)
        except TeamleaderError as error:
            if is_refusal(error):
                # Refused, so certainly not applied: a retry need not wait for it to show up.
                return self._fail(work, f"Teamleader refused the draft: {error}", draft_sent_at=None)
            if never_sent(error):
                return self._postpone(work, error, draft_sent_at=None)
            return self._postpone(work, error)
        self._checkpoint("draft-sent")
        now = self._clock()
        drafted = self._move(
            work,
            TopupStatus.DRAFTED,
            f"invoice {invoice_id}",
            invoice_id=invoice_id,
            drafted_at=now,
            attempts=0,
            last_error=None,
        )
        self._notifier.topup_created(
            budget.name, topup_money(topup, budget).format(), invoice_id, topup.marker
        )
        self._checkpoint("drafted")
        return drafted

    def _adopt(self, work: _Work, found: RemoteInvoice) -> _Work:
        detail = f"adopted invoice {found.id} found by marker {work.topup.marker}"
        _log.info("topup.adopted", topup_id=work.topup.id, invoice_id=found.id, status=found.status)
        now = self._clock()
        if found.is_booked:
            return self._move(
                work,
                TopupStatus.BOOKED,
                detail,
                invoice_id=found.id,
                invoice_number=found.invoice_number,
                drafted_at=work.topup.drafted_at or now,
                booked_at=now,
                attempts=0,
                last_error=None,
            )
        return self._move(
            work,
            TopupStatus.DRAFTED,
            detail,
            invoice_id=found.id,
            drafted_at=now,
            attempts=0,
            last_error=None,
        )

    def _after_draft(self, work: _Work) -> _Work | None:
        """drafted -> booking when booking is configured and the veto window has passed."""
        if not work.budget.replenish.book:
            return self._wait(work, None)
        ends = veto_ends(work.topup, work.budget)
        if ends is not None and ends > self._clock():
            return self._wait(work, ends)
        booking = self._move(work, TopupStatus.BOOKING, attempts=1)
        self._checkpoint("booking")
        return self._send_book(booking)

    def _book(self, work: _Work) -> _Work | None:
        """Found in booking: the book call may have been applied; `_send_book` re-reads first."""
        return self._send_book(self._move(work, TopupStatus.BOOKING, attempts=work.topup.attempts + 1))

    def _send_book(self, work: _Work) -> _Work | None:
        invoice_id = work.topup.invoice_id
        assert invoice_id is not None, "a top-up in booking always has its invoice"
        try:
            remote = RemoteInvoice.from_api(self._api.invoice_info(invoice_id))
            if remote.is_draft:
                if work.topup.attempts > self._max_attempts:
                    return self._fail(work, f"still a draft after {work.topup.attempts - 1} attempts to book")
                self._api.book_invoice(invoice_id, self._clock().astimezone(work.budget.zone).date())
                self._checkpoint("book-sent")
        except NotFound:
            return self._close(
                work.topup, TopupStatus.CANCELLED, f"invoice {invoice_id} was deleted in Teamleader"
            )
        except TeamleaderError as error:
            if is_refusal(error):
                return self._fail(work, f"Teamleader refused to book invoice {invoice_id}: {error}")
            return self._postpone(work, error)
        booked = self._move(
            work,
            TopupStatus.BOOKED,
            invoice_number=None if remote.is_draft else remote.invoice_number,
            booked_at=self._clock(),
            attempts=0,
            last_error=None,
        )
        self._checkpoint("booked")
        return booked

    def _settle(self, work: _Work) -> _Work | None:
        """booked -> credited: at once (credit on booked), or once Teamleader says it is paid."""
        topup = work.topup
        assert topup.invoice_id is not None, "a booked top-up always has its invoice"
        needs_payment = work.budget.replenish.credit_on is CreditOn.PAID
        number = topup.invoice_number
        if needs_payment or number is None:
            try:
                remote = RemoteInvoice.from_api(self._api.invoice_info(topup.invoice_id))
            except NotFound:
                return self._close(topup, TopupStatus.CANCELLED, f"invoice {topup.invoice_id} was deleted")
            except TeamleaderError as error:
                return self._postpone(work, error)
            number = remote.invoice_number
            if needs_payment and not remote.paid:
                return self._wait(work, None)
        with self._engine.begin() as conn:
            credited = credit_topup(conn, topup, self._credits, number, actor=self.name, now=self._clock())
        self._checkpoint("credited")
        return None if credited is None else _Work(credited, work.budget)

    def _wait(self, work: _Work, until: datetime | None) -> _Work | None:
        """Let go until `until`, or until a webhook or the poll sees a change (None)."""
        with self._engine.begin() as conn:
            self._release(conn, work.topup, next_attempt_at=until)
        return None

    def _postpone(self, work: _Work, error: TeamleaderError, **values: object) -> _Work | None:
        """Let go after a failed call; the next try comes after the back-off of this try."""
        doublings = min(max(work.topup.attempts - 1, 0), _MAX_DOUBLINGS)
        delay = min(self._backoff * 2**doublings, self._max_backoff)
        now = self._clock()
        _log.warning("topup.retry_later", topup_id=work.topup.id, error=str(error), retry_in=str(delay))
        with self._engine.begin() as conn:
            self._release(
                conn, work.topup, next_attempt_at=now + delay, last_error=str(error)[:2000], **values
            )
            outbox.record_event(
                conn,
                work.topup.id,
                work.topup.status,
                work.topup.status,
                actor=self.name,
                now=now,
                detail=f"{error}; next try at {now + delay:%Y-%m-%d %H:%M:%S %Z}",
            )
        return None

    def _release(self, conn: Connection, topup: Topup, **values: object) -> None:
        result = conn.execute(
            update(topup_table)
            .where(topup_table.c.id == topup.id, topup_table.c.owner == self.name)
            .values(lease_until=None, updated_at=self._clock(), **values)
        )
        if result.rowcount != 1:
            raise outbox.Superseded(f"top-up {topup.id} was taken over by another worker")

    def _fail(self, work: _Work, reason: str, **values: object) -> _Work | None:
        """Hold the top-up for a person: the end of the retry policy."""
        self._close(work.topup, TopupStatus.FAILED, reason, **values)
        self._notifier.topup_failed(work.budget.name, work.topup.id, reason)
        return None

    def _close(self, topup: Topup, to: TopupStatus, reason: str, **values: object) -> _Work | None:
        _log.warning("topup.closed", topup_id=topup.id, status=to.value, reason=reason)
        with self._engine.begin() as conn:
            outbox.transition(
                conn,
                topup,
                to,
                actor=self.name,
                owner=self.name,
                now=self._clock(),
                detail=reason,
                last_error=reason[:2000],
                lease_until=None,
                next_attempt_at=None,
                **values,
            )
        return None
