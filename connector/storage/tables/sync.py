"""The local copy of Teamleader data that the prepaid rules need, plus sync checkpoints and the webhook inbox.

Every copied row keeps Teamleader's payload (`raw`, for audit) and its digest (`content_hash`,
so an unchanged row costs no write), when we last saw it (`synced_at`)
and `deleted_at`: rows that disappear from Teamleader are marked, never removed, because ledger
lines may point at them. Time entries also carry a `revision` that grows whenever their content
changes, so the billing engine can tell what changed since it last looked.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from connector.storage.tables.base import JSONDoc, UTCDateTime, metadata

__all__ = [
    "company",
    "contact",
    "department",
    "subject_link",
    "sync_checkpoint",
    "tax_rate",
    "time_entry",
    "tl_user",
    "webhook_inbox",
    "work_type",
]

AutoId = BigInteger().with_variant(Integer, "sqlite")


def _copied(name: str, *columns: Column[object]) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(64), primary_key=True),
        *columns,
        Column("raw", JSONDoc, nullable=False),
        Column("content_hash", String(64), nullable=False),
        Column("synced_at", UTCDateTime, nullable=False),
        Column("deleted_at", UTCDateTime),
    )


tl_user = _copied(
    "tl_user",
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("email", String(320)),
    Column("status", String(32)),
)

work_type = _copied("work_type", Column("name", String(300), nullable=False))

department = _copied(
    "department",
    Column("name", String(300), nullable=False),
    Column("currency", String(3)),
    Column("status", String(32)),
)

tax_rate = _copied(
    "tax_rate",
    Column("description", String(200)),
    Column("rate", String(20), nullable=False),
    Column("department_id", String(64), index=True),
)

company = _copied(
    "company",
    Column("name", String(500), nullable=False),
    Column("status", String(32)),
    Column("vat_number", String(64)),
    Column("email", String(320)),
    Column("updated_at", UTCDateTime),
)

contact = _copied(
    "contact",
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("status", String(32)),
    Column("email", String(320)),
    Column("updated_at", UTCDateTime),
)

time_entry = _copied(
    "time_entry",
    Column("user_id", String(64)),
    Column("work_type_id", String(64)),
    Column("started_on", Date, nullable=False),
    Column("started_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("duration_seconds", Integer, nullable=False),
    Column("description", Text),
    Column("subject_type", String(32)),
    Column("subject_id", String(64)),
    Column("customer_type", String(16)),
    Column("customer_id", String(64)),
    Column("customer_source", String(16)),
    Column("invoiceable", Boolean, nullable=False),
    Column("billing_type", String(16)),
    Column("billing_invoice_id", String(64)),
    Column("hourly_rate_cents", BigInteger),
    Column("hourly_rate_currency", String(3)),
    Column("locked", Boolean),
    Column("revision", Integer, nullable=False, server_default=text("1")),
)
Index("ix_time_entry_customer", time_entry.c.customer_type, time_entry.c.customer_id, time_entry.c.started_on)
Index("ix_time_entry_started_on", time_entry.c.started_on)
# Partial: only the entries waiting for their customer, so the index costs a first sync nothing.
Index(
    "ix_time_entry_unresolved",
    time_entry.c.subject_type,
    time_entry.c.subject_id,
    sqlite_where=time_entry.c.customer_source == "unresolved",
    postgresql_where=time_entry.c.customer_source == "unresolved",
)

# The customer of a task (`todo`), ticket or milestone, as Teamleader last answered it: a null
# customer is a definitive answer (no customer, or the subject is gone), never a failed lookup.
# `project_id` is a milestone's project, so a change to the project refreshes its milestones;
# `resolved_at` dates the answer, which is asked again after PREPAID_CUSTOMER_LINK_MAX_AGE_HOURS.

subject_link = Table(
    "subject_link",
    metadata,
    Column("subject_type", String(32), primary_key=True),
    Column("subject_id", String(64), primary_key=True),
    Column("customer_type", String(16)),
    Column("customer_id", String(64)),
    Column("project_id", String(64)),
    Column("resolved_at", UTCDateTime, nullable=False),
)
Index("ix_subject_link_project", subject_link.c.project_id)

sync_checkpoint = Table(
    "sync_checkpoint",
    metadata,
    Column("resource", String(64), primary_key=True),
    Column("run_id", String(64)),
    Column("state", String(16), nullable=False),
    Column("cursor", JSONDoc),
    Column("watermark", String(64)),
    Column("started_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("stats", JSONDoc),
)

webhook_inbox = Table(
    "webhook_inbox",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("event_type", String(64), nullable=False),
    Column("subject_type", String(32), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("account_id", String(64)),
    Column("payload", JSONDoc, nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'pending'")),
    Column("received_at", UTCDateTime, nullable=False),
    Column("processed_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("error", String(2000)),
)
Index(
    "uq_webhook_inbox_pending_subject",
    webhook_inbox.c.subject_type,
    webhook_inbox.c.subject_id,
    unique=True,
    sqlite_where=webhook_inbox.c.status == "pending",
    postgresql_where=webhook_inbox.c.status == "pending",
)
Index("ix_webhook_inbox_status", webhook_inbox.c.status, webhook_inbox.c.id)
