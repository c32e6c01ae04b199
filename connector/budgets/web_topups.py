"""The dashboard's top-ups page over the top-up outbox: every top-up, retry and cancel.

Retry and cancel are the operator's own (`connector.invoicing.TopupOperator`, what
`prepaid topups retry|cancel` runs), so the page and the command line follow one set of rules;
their errors are mapped onto the web's (unknown 404, refused 409). Each row carries its budget's
current top-up hold (`connector.budgets.topup_hold`), so a paused budget says why on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlalchemy import Engine

from connector.budgets.budget_queries import load_budgets
from connector.budgets.reports import balance_rows, customer_names
from connector.budgets.topup_hold import TopupHold, topup_hold
from connector.clock import Now
from connector.errors import ConfigError
from connector.invoicing import TopupOperator, TopupStatus
from connector.invoicing.errors import TopupBusy, TopupNotCancellable, TopupNotFound, TopupNotRetryable
from connector.invoicing.ports import InvoiceApi
from connector.teamleader.errors import TeamleaderError
from connector.web.ports import TopupRefused, UnknownTopup
from connector.web.views import TopupHoldView, TopupListing, TopupView

__all__ = ["BudgetsTopupDesk"]

_CLOSED = (TopupStatus.CREDITED, TopupStatus.CANCELLED)
_CANCELLABLE = (TopupStatus.PLANNED, TopupStatus.DRAFTING, TopupStatus.DRAFTED, TopupStatus.FAILED)


def _hold_view(hold: TopupHold | None) -> TopupHoldView | None:
    return None if hold is None else TopupHoldView(hold.code, hold.reason.value, hold.detail)


class BudgetsTopupDesk:
    """`TopupDesk` on the outbox; `invoices` builds the Teamleader client only when a cancel
    must delete a draft there (a planned top-up has none)."""

    def __init__(self, engine: Engine, *, clock: Now, invoices: Callable[[], InvoiceApi]) -> None:
        self._engine = engine
        self._clock = clock
        self._invoices = invoices

    def listing(self) -> Sequence[TopupListing]:
        topups = TopupOperator(self._engine, clock=self._clock).list()
        ids = sorted({t.budget_id for t in topups})
        now = self._clock()
        with self._engine.connect() as conn:
            budgets = {b.id: b for b in load_budgets(conn, ids=ids)} if ids else {}
            settled = {r.budget_id: r.settled for r in balance_rows(conn, ids)} if ids else {}
            keys = [(b.customer.type.value, b.customer.id) for b in budgets.values()]
            names = customer_names(conn, keys)
            holds = {
                b.id: _hold_view(topup_hold(conn, b, settled=settled.get(b.id, 0), now=now))
                for b in budgets.values()
            }
        rows = []
        for t in topups:
            b = budgets.get(t.budget_id)
            customer = "" if b is None else names.get((b.customer.type.value, b.customer.id), "")
            rows.append(
                TopupListing(
                    topup=TopupView(
                        id=t.id,
                        state=t.status.value,
                        amount=Decimal(t.amount_cents) / 100,
                        created_at=t.created_at,
                        invoice_number=t.invoice_number,
                        credited_at=t.credited_at,
                    ),
                    budget_id=t.budget_id,
                    budget_name=t.budget_id if b is None else b.name,
                    customer_name=customer,
                    currency=t.currency or ("EUR" if b is None else b.unit.currency),
                    time_zone="UTC" if b is None else b.time_zone,
                    kind=t.kind,
                    reason=t.reason,
                    last_error=t.last_error,
                    attempts=t.attempts,
                    hold=None if t.status in _CLOSED else holds.get(t.budget_id),
                    can_retry=t.status not in _CLOSED,
                    can_cancel=t.status in _CANCELLABLE,
                )
            )
        return rows

    def retry(self, topup_id: str, actor: str) -> None:
        try:
            TopupOperator(self._engine, actor=actor, clock=self._clock).retry(topup_id)
        except TopupNotFound as error:
            raise UnknownTopup(str(error)) from None
        except (TopupNotRetryable, TopupBusy) as error:
            raise TopupRefused(str(error)) from None

    def cancel(self, topup_id: str, actor: str) -> None:
        plain = TopupOperator(self._engine, actor=actor, clock=self._clock)
        try:
            current = plain.get(topup_id)
            api = None if current.status is TopupStatus.PLANNED else self._invoices()
            TopupOperator(self._engine, api, actor=actor, clock=self._clock).cancel(topup_id)
        except TopupNotFound as error:
            raise UnknownTopup(str(error)) from None
        except (TopupNotCancellable, TopupBusy) as error:
            raise TopupRefused(str(error)) from None
        except ConfigError as error:
            raise TopupRefused(
                f"top-up {topup_id} may have a draft in Teamleader, which must be deleted first, "
                f"and the Teamleader connection is not set up: {error}"
            ) from None
        except TeamleaderError as error:
            raise TopupRefused(
                f"Teamleader did not confirm that the draft of top-up {topup_id} was deleted ({error}); "
                "nothing changed here: try again in a minute"
            ) from None
