"""Customers (companies and contacts) and the work records that point at them.

Time entries tracked on a milestone, ticket or task carry no customer; `Project`, `Milestone`,
`Ticket` and `Task` are read to find it (`customer` on projects, tickets and tasks; a milestone
leads to its project).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from connector.teamleader.models.base import CustomFieldValue, Email, Reference, TeamleaderModel

__all__ = ["Company", "Contact", "Milestone", "Project", "Task", "Ticket"]


class Company(TeamleaderModel):
    """A company (`companies.list` row or `companies.info`)."""

    id: str
    name: str
    status: str | None = None
    vat_number: str | None = None
    emails: list[Email] = Field(default_factory=list)
    language: str | None = None
    preferred_currency: str | None = None
    responsible_user: Reference | None = None
    added_at: datetime | None = None
    updated_at: datetime | None = None
    web_url: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: list[CustomFieldValue] = Field(default_factory=list)


class Contact(TeamleaderModel):
    """A contact (a person), possibly linked to companies (`contacts.info` lists them)."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    status: str | None = None
    emails: list[Email] = Field(default_factory=list)
    language: str | None = None
    added_at: datetime | None = None
    updated_at: datetime | None = None
    web_url: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: list[CustomFieldValue] = Field(default_factory=list)

    @property
    def name(self) -> str:
        """First and last name."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Project(TeamleaderModel):
    """A (legacy) project; `customer` is the company or contact it is for."""

    id: str
    title: str | None = None
    status: str | None = None
    customer: Reference | None = None
    starts_on: date | None = None
    due_on: date | None = None


class Milestone(TeamleaderModel):
    """A milestone of a project; its customer is the project's."""

    id: str
    name: str | None = None
    status: str | None = None
    project: Reference | None = None


class Ticket(TeamleaderModel):
    """A support ticket; `customer` is who raised it."""

    id: str
    subject: str | None = None
    customer: Reference | None = None
    project: Reference | None = None
    milestone: Reference | None = None


class Task(TeamleaderModel):
    """A task (`todo` in time-tracking subjects); may name a customer, project, milestone or ticket."""

    id: str
    title: str | None = None
    customer: Reference | None = None
    project: Reference | None = None
    milestone: Reference | None = None
    ticket: Reference | None = None
