"""Invoicing: the top-up outbox and the worker that turns each top-up into one Teamleader invoice.

Contract with the ledger service (stable; change it only together with the ledger side):

- `plan_topup(conn, *, budget_id, amount_cents, quantity_seconds, reason, kind="topup",
  period_key=None, now) -> str | None` is called in the same transaction as the ledger line that
  crossed the threshold (or closed a period: kinds `period_grant`, `overage`). It inserts one
  top-up in state `planned` with a fresh marker (`PP-XXXXXXXXXX`) and returns its id, or returns
  None when the budget already has an open top-up of that kind (or, with `period_key`, one for
  that period). A partial unique index decides, so two concurrent callers cannot both succeed;
  the caller's transaction is never aborted by the conflict. Nothing is sent to Teamleader
  before that transaction commits.
- The ledger implements `CreditSink`: `credit(...)` appends the one `topup_credit` line of a
  booked (or paid, per the budget's `CreditOn`) top-up invoice, source key `topup:{topup_id}`;
  `reverse_credit(...)` appends the line that undoes it (credit note booked on the invoice, or a
  payment removed from an invoice credited on payment), source key `topup-rev:{topup_id}`. Both
  run inside the transaction that records the top-up's state change, and must be idempotent.
- The ledger (or the budgets store) implements `BudgetLookup`: the `Budget` (customer, name, unit
  and hour price, replenish settings, guardrails) and the customer's display name.
- `invoiced_this_month` and `consecutive_failures` give the guardrail inputs of
  `connector.billing.threshold.topup_blocked` to whoever wants to ask before planning; the worker
  asks again before drafting, and cancels (with the reason, and a notification) a blocked top-up.

The worker (`TopupWorker.run_once`) drains due top-ups; `TopupReconciler` holds the inbox handlers
(`handle_invoice_events` for "invoice", `handle_credit_note_events` for "creditNote") and the
fallback `poll_open_topups`. `TopupOperator` is what `prepaid topups list|retry|cancel` runs.
`held_or_failed_topups` is the one read of "top-ups held or failed, with the reason" for the
overview, the top-ups page and scripts.
"""

from __future__ import annotations

from connector.invoicing.errors import (
    InvalidReplenishSettings,
    TopupBusy,
    TopupNotCancellable,
    TopupNotFound,
    TopupNotRetryable,
)
from connector.invoicing.holds import HeldTopup, HoldState, held_or_failed_topups, retry_command
from connector.invoicing.model import OPEN_STATUSES, RemoteInvoice, Topup, TopupKind, TopupStatus
from connector.invoicing.notify import Notification, NotificationKind, Notifier
from connector.invoicing.operator import TopupOperator
from connector.invoicing.outbox import consecutive_failures, invoiced_this_month, plan_topup
from connector.invoicing.ports import BudgetLookup, CreditSink, InvoiceApi, ReferenceApi
from connector.invoicing.reconcile import TopupReconciler
from connector.invoicing.validation import validate_replenish
from connector.invoicing.worker import CHECKPOINTS, TopupWorker

__all__ = [
    "CHECKPOINTS",
    "OPEN_STATUSES",
    "BudgetLookup",
    "CreditSink",
    "HeldTopup",
    "HoldState",
    "InvalidReplenishSettings",
    "InvoiceApi",
    "Notification",
    "NotificationKind",
    "Notifier",
    "ReferenceApi",
    "RemoteInvoice",
    "Topup",
    "TopupBusy",
    "TopupKind",
    "TopupNotCancellable",
    "TopupNotFound",
    "TopupNotRetryable",
    "TopupOperator",
    "TopupReconciler",
    "TopupStatus",
    "TopupWorker",
    "consecutive_failures",
    "held_or_failed_topups",
    "invoiced_this_month",
    "plan_topup",
    "retry_command",
    "validate_replenish",
]
