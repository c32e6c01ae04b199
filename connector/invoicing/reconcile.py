"""What Teamleader tells us after the worker let go: a person booked, paid, credited or deleted a top-up invoice.

Webhook deliveries are only hints (and the inbox coalesces them per subject), so every handler
re-reads the invoice and acts on its state, not on the event's name: booked in Teamleader ->
booked here; paid (matched by a payment) -> credit, when the budget credits on payment; deleted ->
cancelled; a payment removed from a top-up credited on payment, or a credit note booked on a
top-up invoice -> the credit is reversed with a line naming the invoice. `poll_open_topups` runs
the same checks for top-ups waiting on Teamleader, for the deliveries that never arrive. A credit
and its reversal each happen in the transaction that records them, guarded by the row's state, so
a replayed event or a poll racing a webhook cannot count twice. The invoice is read before that
transaction begins and the notification of a reversal is sent after it commits: no network call
runs inside a transaction, and nobody is told of a reversal that was rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy import Connection, Engine, select, update

from connector.billing.budget import Budget, CreditOn
from connector.clock import SYSTEM_CLOCK, Now
from connector.invoicing import outbox
from connector.invoicing.credit import credit_topup
from connector.invoicing.model import RemoteInvoice, Topup, TopupStatus
from connector.invoicing.notify import Notifier
from connector.invoicing.ports import BudgetLookup, CreditSink, InvoiceApi
from connector.logging import get_logger
from connector.storage.tables.invoicing import topup as topup_table
from connector.teamleader.errors import NotFound

__all__ = ["InvoiceEvent", "TopupReconciler"]

_log = get_logger(__name__)
_ACTOR = "teamleader-webhook"
_WATCHED = (TopupStatus.DRAFTED, TopupStatus.BOOKED, TopupStatus.CREDITED)

AfterCommit = list[Callable[[], object]]
"""What a transaction leaves to do once it committed (the notifications it decided on)."""


class InvoiceEvent(Protocol):
    """The fields of `connector.sync.inbox.InboxEvent` that the handlers read."""

    @property
    def event_type(self) -> str: ...

    @property
    def subject_id(self) -> str: ...


class TopupReconciler:
    """Brings top-ups in line with their invoices in Teamleader (webhook handlers and the poll)."""

    def __init__(
        self,
        engine: Engine,
        api: InvoiceApi,
        budgets: BudgetLookup,
        credits: CreditSink,
        *,
        notifier: Notifier | None = None,
        clock: Now = SYSTEM_CLOCK.now,
    ) -> None:
        self._engine = engine
        self._api = api
        self._budgets = budgets
        self._credits = credits
        self._notifier = notifier or Notifier(None)
        self._clock = clock

    def handle_invoice_events(self, events: Sequence[InvoiceEvent]) -> None:
        """Inbox handler for `invoice.*`: only invoices of top-ups cost an API call."""
        ids = sorted({event.subject_id for event in events})
        with self._engine.connect() as conn:
            topups = [t for t in outbox.find_by_invoice(conn, ids) if t.status in _WATCHED]
        for topup in topups:
            self._refresh(topup)

    def handle_credit_note_events(self, events: Sequence[InvoiceEvent]) -> None:
        """Inbox handler for `creditNote.booked`: a credit note on a top-up invoice reverses its credit."""
        for note_id in sorted({event.subject_id for event in events}):
            try:
                note = self._api.credit_note_info(note_id)
            except NotFound:
                continue
            invoice = note.get("invoice") or {}
            invoice_id = invoice.get("id") if isinstance(invoice, dict) else None
            if not invoice_id:
                continue
            number = note.get("credit_note_number") or note_id
            with self._engine.connect() as conn:
                topups = outbox.find_by_invoice(conn, [str(invoice_id)])
            for topup in topups:
                self._credit_note_booked(topup, str(number))

    def poll_open_topups(self) -> int:
        """Check every top-up that waits on Teamleader (booking by a person, payment); how many changed."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(topup_table).where(
                    topup_table.c.status.in_([TopupStatus.DRAFTED.value, TopupStatus.BOOKED.value]),
                    topup_table.c.next_attempt_at.is_(None),
                )
            ).mappings()
            waiting = [Topup.from_row(row) for row in rows]
        return sum(1 for topup in waiting if self._refresh(topup))

    def _refresh(self, topup: Topup) -> bool:
        assert topup.invoice_id is not None
        try:
            remote: RemoteInvoice | None = RemoteInvoice.from_api(self._api.invoice_info(topup.invoice_id))
        except NotFound:
            remote = None
        after: AfterCommit = []
        with self._engine.begin() as conn:
            budget = self._budgets.budget(conn, topup.budget_id)
            if budget is None:
                return False
            try:
                changed = self._apply(conn, topup, budget, remote, after)
            except outbox.Superseded:
                return False
        _run(after)
        return changed

    def _apply(
        self, conn: Connection, topup: Topup, budget: Budget, remote: RemoteInvoice | None, after: AfterCommit
    ) -> bool:
        now = self._clock()
        if remote is None:
            if topup.status in (TopupStatus.DRAFTED, TopupStatus.BOOKED):
                outbox.transition(
                    conn,
                    topup,
                    TopupStatus.CANCELLED,
                    actor=_ACTOR,
                    now=now,
                    detail=f"invoice {topup.invoice_id} was deleted in Teamleader",
                    next_attempt_at=None,
                    lease_until=None,
                )
                return True
            return False
        if topup.status is TopupStatus.DRAFTED and remote.is_booked:
            topup = outbox.transition(
                conn,
                topup,
                TopupStatus.BOOKED,
                actor=_ACTOR,
                now=now,
                detail=f"invoice {remote.invoice_number} booked in Teamleader",
                invoice_number=remote.invoice_number,
                booked_at=now,
                next_attempt_at=None,
            )
            if budget.replenish.credit_on is CreditOn.PAID and not remote.paid:
                return True
        if topup.status is TopupStatus.BOOKED:
            if budget.replenish.credit_on is CreditOn.BOOKED or remote.paid:
                return (
                    credit_topup(conn, topup, self._credits, remote.invoice_number, actor=_ACTOR, now=now)
                    is not None
                )
            return False
        if (
            topup.status is TopupStatus.CREDITED
            and budget.replenish.credit_on is CreditOn.PAID
            and not remote.paid
        ):
            number = remote.invoice_number or topup.invoice_id or ""
            return self._reverse(conn, topup, budget, f"payment removed from invoice {number}", after)
        return False

    def _credit_note_booked(self, topup: Topup, note_number: str) -> None:
        invoice = topup.invoice_number or topup.invoice_id or ""
        reason = f"credit note {note_number} booked on invoice {invoice}"
        after: AfterCommit = []
        with self._engine.begin() as conn:
            budget = self._budgets.budget(conn, topup.budget_id)
            if budget is None:
                return
            if topup.status is TopupStatus.CREDITED:
                self._reverse(conn, topup, budget, reason, after)
            elif topup.status is TopupStatus.BOOKED:
                try:
                    outbox.transition(
                        conn,
                        topup,
                        TopupStatus.CANCELLED,
                        actor=_ACTOR,
                        now=self._clock(),
                        detail=f"{reason} before it was credited",
                        next_attempt_at=None,
                        lease_until=None,
                    )
                except outbox.Superseded:
                    return
        _run(after)

    def _reverse(
        self, conn: Connection, topup: Topup, budget: Budget, reason: str, after: AfterCommit
    ) -> bool:
        """Undo the credit once: the `reversed_at IS NULL` guard and the sink's key both ensure it.
        The notification goes into `after`, to be sent once the transaction committed."""
        assert topup.invoice_id is not None
        now = self._clock()
        marked = conn.execute(
            update(topup_table)
            .where(
                topup_table.c.id == topup.id,
                topup_table.c.status == TopupStatus.CREDITED.value,
                topup_table.c.reversed_at.is_(None),
            )
            .values(reversed_at=now, updated_at=now)
        )
        if marked.rowcount != 1:
            return False
        outbox.record_event(
            conn,
            topup.id,
            TopupStatus.CREDITED,
            TopupStatus.CREDITED,
            actor=_ACTOR,
            now=now,
            detail=f"reversed: {reason}",
        )
        self._credits.reverse_credit(
            conn, topup_id=topup.id, invoice_id=topup.invoice_id, reason=reason, now=now
        )
        _log.info("topup.credit_reversed", topup_id=topup.id, reason=reason)
        invoice = topup.invoice_number or topup.invoice_id
        after.append(lambda: self._notifier.topup_reversed(budget.name, invoice, reason))
        return True


def _run(after: AfterCommit) -> None:
    for action in after:
        action()
