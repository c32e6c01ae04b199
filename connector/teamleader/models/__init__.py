"""Typed Teamleader records (pydantic v2), field names as in Teamleader's OpenAPI specification."""

from __future__ import annotations

from connector.teamleader.models.base import CustomFieldValue, Email, Money, Reference, TeamleaderModel
from connector.teamleader.models.crm import Company, Contact, Milestone, Project, Task, Ticket
from connector.teamleader.models.invoices import (
    Created,
    CreditNote,
    Invoice,
    Invoicee,
    InvoiceTotal,
    Payment,
    TaxAmount,
)
from connector.teamleader.models.reference import (
    Department,
    Me,
    PaymentTerm,
    PaymentTerms,
    TaxRate,
    User,
    Webhook,
    WorkType,
)
from connector.teamleader.models.timetracking import BillingInfo, TimeEntry

__all__ = [
    "BillingInfo",
    "Company",
    "Contact",
    "Created",
    "CreditNote",
    "CustomFieldValue",
    "Department",
    "Email",
    "Invoice",
    "InvoiceTotal",
    "Invoicee",
    "Me",
    "Milestone",
    "Money",
    "Payment",
    "PaymentTerm",
    "PaymentTerms",
    "Project",
    "Reference",
    "Task",
    "TaxAmount",
    "TaxRate",
    "TeamleaderModel",
    "Ticket",
    "TimeEntry",
    "User",
    "Webhook",
    "WorkType",
]
