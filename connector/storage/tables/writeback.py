"""The write-back table: what was last written to each customer's balance custom field in Teamleader.

One row per customer. The write-back job compares each customer's balances now with
`written_value` and calls Teamleader only when they differ, so a burst of ledger changes between
two runs costs one update call per customer, and a run with nothing new costs none. A failed call
keeps the old value (and the error) so the next run tries again.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, PrimaryKeyConstraint, String, Table

from connector.storage.tables.base import UTCDateTime, metadata

__all__ = ["balance_writeback"]

balance_writeback = Table(
    "balance_writeback",
    metadata,
    Column("customer_type", String(16), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("field_id", String(64), nullable=False),
    Column("written_value", String(300)),
    Column("written_at", UTCDateTime),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_error", String(2000)),
    PrimaryKeyConstraint("customer_type", "customer_id"),
)
