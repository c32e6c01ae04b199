"""The shared pieces of every Teamleader model: tolerant parsing, references, money, custom fields.

Models keep fields they do not declare (`extra="allow"`), so a field Teamleader adds, or one the
product does not use yet, survives a round trip and is visible in `model_extra`. Amounts are
`Decimal` (the transport parses JSON numbers as Decimal, never float).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["CustomFieldValue", "Email", "Money", "Reference", "TeamleaderModel"]


class TeamleaderModel(BaseModel):
    """Base: unknown fields are kept, instances are immutable."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Reference(TeamleaderModel):
    """`{type, id}`: how Teamleader points at another record."""

    type: str
    id: str


class Money(TeamleaderModel):
    """An amount in decimal units (not cents) with its ISO currency code."""

    amount: Decimal
    currency: str

    def to_api(self) -> dict[str, Any]:
        """The request shape `{amount, currency}`."""
        return {"amount": self.amount, "currency": self.currency}


class Email(TeamleaderModel):
    """One e-mail address of a company or contact (`primary` or `invoicing`)."""

    type: str | None = None
    email: str


class CustomFieldValue(TeamleaderModel):
    """A custom field on a record: its definition and its value (string, number, list, reference)."""

    definition: Reference
    value: Any = None
