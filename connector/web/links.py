"""Signed, expiring, read-only statement links that an account manager sends to a customer.

The link carries the budget, the period and an expiry, signed with a key derived for this one
purpose (`settings.derived_key("statement-links")`), so it needs no table and cannot be bent to
another budget or period; changing the secret key revokes every link at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadData, URLSafeSerializer

from connector.web.ports import DashboardError

__all__ = ["LinkExpired", "LinkRefused", "SignedStatement", "StatementLinks"]

_SALT = "prepaid.statement-link.v1"


class LinkRefused(DashboardError):
    """The link was altered or signed with another key; the sender must make a new one."""


class LinkExpired(LinkRefused):
    """The link was genuine but its validity is over."""


@dataclass(frozen=True, slots=True)
class SignedStatement:
    budget_id: str
    period: str
    expires_at: datetime


class StatementLinks:
    def __init__(self, key: bytes, valid_for: timedelta, clock: Callable[[], datetime]) -> None:
        self._serializer = URLSafeSerializer(key, salt=_SALT)
        self._valid_for = valid_for
        self._clock = clock

    def sign(self, budget_id: str, period: str) -> tuple[str, datetime]:
        """A token for the statement of `budget_id` over `period`, and when it stops working."""
        expires_at = (self._clock() + self._valid_for).replace(microsecond=0)
        token = self._serializer.dumps({"b": budget_id, "p": period, "e": int(expires_at.timestamp())})
        return str(token), expires_at

    def open(self, token: str) -> SignedStatement:
        try:
            data = self._serializer.loads(token)
        except BadData:
            raise LinkRefused(
                "this statement link is not valid (altered or revoked); ask your account manager for a new one"
            ) from None
        if not isinstance(data, dict) or not {"b", "p", "e"} <= data.keys():
            raise LinkRefused("this statement link is not valid; ask your account manager for a new one")
        expires_at = datetime.fromtimestamp(int(data["e"]), UTC)
        if self._clock() >= expires_at:
            raise LinkExpired(
                f"this statement link expired on {expires_at:%Y-%m-%d %H:%M} UTC; "
                "ask your account manager for a new one"
            )
        return SignedStatement(str(data["b"]), str(data["p"]), expires_at)
