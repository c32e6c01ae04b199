"""Users, the account, and the reference data that invoices and rates depend on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from connector.teamleader.models.base import Reference, TeamleaderModel

__all__ = ["Department", "Me", "PaymentTerm", "PaymentTerms", "TaxRate", "User", "Webhook", "WorkType"]


class User(TeamleaderModel):
    """A Teamleader user (`users.list`)."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    status: str | None = None
    function: str | None = None
    language: str | None = None
    account: Reference | None = None

    @property
    def name(self) -> str:
        """First and last name, as Teamleader shows them."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Me(User):
    """`users.me`: the authorising user, and the account the tokens belong to (the tenant key)."""

    account: Reference
    time_zone: str | None = None
    preferences: dict[str, Any] | None = None

    @property
    def account_id(self) -> str:
        """The connected Teamleader account's id (also in every webhook payload)."""
        return self.account.id


class WorkType(TeamleaderModel):
    """A work type (`workTypes.list`); Teamleader does not expose its hourly rate here."""

    id: str
    name: str


class Department(TeamleaderModel):
    """A department: the legal entity that issues invoices (`departments.list`)."""

    id: str
    name: str
    currency: str | None = None
    vat_number: str | None = None
    status: str | None = None


class TaxRate(TeamleaderModel):
    """A tax rate; valid only on invoices of its own department."""

    id: str
    description: str | None = None
    rate: Decimal
    department: Reference | None = None


class PaymentTerm(TeamleaderModel):
    """A payment term (`cash`, `end_of_month`, `after_invoice_date`) with its days."""

    id: str
    type: str
    days: int | None = None

    def to_api(self) -> dict[str, Any]:
        """The `payment_term` object of `invoices.draft`."""
        return {"type": self.type} if self.days is None else {"type": self.type, "days": self.days}


class PaymentTerms(TeamleaderModel):
    """`paymentTerms.list`: the terms and the account's default one."""

    terms: list[PaymentTerm] = Field(default_factory=list)
    default_id: str | None = None

    @property
    def default(self) -> PaymentTerm | None:
        """The default term, when Teamleader names one that is in the list."""
        return next((term for term in self.terms if term.id == self.default_id), None)


class Webhook(TeamleaderModel):
    """A registered webhook: its URL and the event types sent to it (no id exists)."""

    url: str
    types: list[str] = Field(default_factory=list)
