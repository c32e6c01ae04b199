"""Notifications people act on: low balance, top-up created or failed, budget exhausted, flagged entry.

Each is logged with structlog and, when `PREPAID_NOTIFY_URL` is set, POSTed as JSON in a shape a
Slack or Teams incoming webhook accepts: `text` (what those show) plus `event` and `fields` for
any other receiver. A notification never blocks the work that caused it: a failed POST is logged
and forgotten, and the POST is sent only after the database change it reports was committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import httpx

from connector.logging import get_logger

__all__ = ["Notification", "NotificationKind", "Notifier"]

_log = get_logger(__name__)
_TIMEOUT_SECONDS = 5.0


class NotificationKind(StrEnum):
    LOW_BALANCE = "low_balance"
    BUDGET_EXHAUSTED = "budget_exhausted"
    TOPUP_CREATED = "topup_created"
    TOPUP_FAILED = "topup_failed"
    TOPUP_BLOCKED = "topup_blocked"
    TOPUP_REVERSED = "topup_reversed"
    FLAGGED_ENTRY = "flagged_entry"


@dataclass(frozen=True, slots=True)
class Notification:
    kind: NotificationKind
    text: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def payload(self) -> dict[str, object]:
        return {"text": self.text, "event": self.kind.value, "fields": dict(self.fields)}


class Notifier:
    """Logs every notification and posts it to `url` when one is configured."""

    def __init__(self, url: str | None, *, transport: httpx.BaseTransport | None = None) -> None:
        self._url = url
        self._transport = transport

    def send(self, notification: Notification) -> bool:
        """True when it was delivered to the webhook (or there is none to deliver to)."""
        _log.info(
            f"notification.{notification.kind.value}",
            text=notification.text,
            fields=dict(notification.fields),
        )
        if self._url is None:
            return True
        try:
            with httpx.Client(transport=self._transport, timeout=_TIMEOUT_SECONDS) as client:
                response = client.post(self._url, json=notification.payload())
            response.raise_for_status()
        except httpx.HTTPError as error:
            _log.warning(
                "notification.not_delivered",
                kind=notification.kind.value,
                error=str(error),
                hint="check PREPAID_NOTIFY_URL; the notification is only in this log",
            )
            return False
        return True

    def low_balance(self, budget: str, balance: str, threshold: str, *, one_off: bool) -> bool:
        action = "no top-up is created (replenish mode one-off)" if one_off else "a top-up is planned"
        return self.send(
            Notification(
                NotificationKind.LOW_BALANCE,
                f"Budget {budget} is below its threshold: {balance} left (threshold {threshold}); {action}.",
                {"budget": budget, "balance": balance, "threshold": threshold},
            )
        )

    def budget_exhausted(self, budget: str, balance: str) -> bool:
        return self.send(
            Notification(
                NotificationKind.BUDGET_EXHAUSTED,
                f"Budget {budget} is exhausted: balance {balance}. Work goes on and runs the budget negative.",
                {"budget": budget, "balance": balance},
            )
        )

    def topup_created(self, budget: str, amount: str, invoice_id: str, marker: str) -> bool:
        return self.send(
            Notification(
                NotificationKind.TOPUP_CREATED,
                f"Top-up invoice for {budget} drafted in Teamleader: {amount} (PO {marker}).",
                {"budget": budget, "amount": amount, "invoice_id": invoice_id, "marker": marker},
            )
        )

    def topup_failed(self, budget: str, topup_id: str, reason: str) -> bool:
        return self.send(
            Notification(
                NotificationKind.TOPUP_FAILED,
                f"Top-up {topup_id} for {budget} failed: {reason}. "
                f"Fix the cause, then run `prepaid topups retry {topup_id}`.",
                {"budget": budget, "topup_id": topup_id, "reason": reason},
            )
        )

    def topup_blocked(self, budget: str, topup_id: str, reason: str) -> bool:
        return self.send(
            Notification(
                NotificationKind.TOPUP_BLOCKED,
                f"No top-up invoice for {budget}: {reason}.",
                {"budget": budget, "topup_id": topup_id, "reason": reason},
            )
        )

    def topup_reversed(self, budget: str, invoice: str, reason: str) -> bool:
        return self.send(
            Notification(
                NotificationKind.TOPUP_REVERSED,
                f"The credit of top-up invoice {invoice} on {budget} was reversed: {reason}.",
                {"budget": budget, "invoice": invoice, "reason": reason},
            )
        )

    def flagged_entry(self, budget: str, entry_id: str, why: str) -> bool:
        return self.send(
            Notification(
                NotificationKind.FLAGGED_ENTRY,
                f"Time entry {entry_id} on {budget} needs a decision: {why}.",
                {"budget": budget, "entry_id": entry_id, "reason": why},
            )
        )
