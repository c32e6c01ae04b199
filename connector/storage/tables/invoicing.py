"""The top-up outbox: one row per invoice the connector owes Teamleader, and the log of its states.

A `topup` row is written in the same transaction as the ledger line that made it necessary, then
driven by the invoicing worker through planned -> drafting -> drafted -> booking -> booked ->
credited (or failed, cancelled). Every state is committed before the next Teamleader call, so the
row itself is the recovery point after a crash. Two constraints carry the exactly-once promise:
the `marker` (written on the invoice, found again through the API) is unique, and a partial
unique index allows at most one open top-up of each kind per budget. `topup_event` keeps every
transition for audit; rows are never deleted.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from connector.storage.tables.base import UTCDateTime, metadata

__all__ = ["OPEN_TOPUP_STATUSES", "topup", "topup_event"]

OPEN_TOPUP_STATUSES = ("planned", "drafting", "drafted", "booking", "booked")

AutoId = BigInteger().with_variant(Integer, "sqlite")

topup = Table(
    "topup",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("budget_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("period_key", String(32)),
    Column("status", String(16), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("currency", String(3)),
    Column("quantity_seconds", BigInteger),
    Column("marker", String(40), nullable=False, unique=True),
    Column("line_text", String(500)),
    Column("invoice_id", String(64), index=True),
    Column("invoice_number", String(64)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("owner", String(200)),
    Column("lease_until", UTCDateTime),
    Column("next_attempt_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("drafted_at", UTCDateTime),
    Column("booked_at", UTCDateTime),
    Column("credited_at", UTCDateTime),
    Column("reversed_at", UTCDateTime),
    Column("draft_sent_at", UTCDateTime),
)

_open = topup.c.status.in_(OPEN_TOPUP_STATUSES)
Index(
    "uq_topup_open_budget_kind",
    topup.c.budget_id,
    topup.c.kind,
    unique=True,
    sqlite_where=_open,
    postgresql_where=_open,
)
Index(
    "uq_topup_budget_period",
    topup.c.budget_id,
    topup.c.kind,
    topup.c.period_key,
    unique=True,
    sqlite_where=topup.c.period_key.is_not(None) & topup.c.status.not_in(("cancelled", "failed")),
    postgresql_where=topup.c.period_key.is_not(None) & topup.c.status.not_in(("cancelled", "failed")),
)
Index("ix_topup_due", topup.c.status, topup.c.next_attempt_at)

topup_event = Table(
    "topup_event",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("topup_id", String(36), ForeignKey("topup.id"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("detail", Text),
)
