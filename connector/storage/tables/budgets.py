"""The prepaid ledger's tables: budgets, their versioned rules, entry allocations and ledger lines.

The database carries the invariants that code paths might forget:

- `budget.version` grows on every change; updates compare and swap on it (optimistic concurrency).
  A partial unique index allows one active budget per customer.
- `budget_rule` rows are never updated: a changed rule is a new (rule_id, version) row, and the
  budget's settings name the versions in force, so every past subtraction keeps its provenance.
- `entry_allocation` holds one row per (budget, time entry), never deleted (released is a state);
  its `version` is compared and swapped on each change, and a partial unique index on the entry
  where state = 'subtracted' makes "subtracted at most once, from one budget" a database fact.
  The pending-value index holds pending allocations only (a partial covering index), so the
  provisional balance of every budget reads the pending entries, not every allocation.
- `ledger_line` is append-only with a unique `source_key`, so a replayed decision cannot count
  twice. Amounts are integer cents, durations integer seconds; a balance is a SQL sum of lines,
  never a stored figure. The covering index on (budget_id, at, amount_cents, seconds) lets that
  sum be read for every budget without touching the table, and serves a budget's lines by time
  (statements, periods): one index where there were two, since every line written costs an
  insert into each. The lines that add to a budget (opening, credits, reversals) are few
  among the subtractions; a partial index holds only them (`CREDITING`), so "how much was ever
  credited" per budget, which the dashboard shows, reads a few rows and not the whole ledger.
- `ledger_line.period_index` is the period a line counts in for a renewing budget (issue 11),
  fixed when the line is written; NULL means "the period of its `at`" (and always for budgets
  that do not renew).
- The corrections (reversals and adjustments) are few among the subtractions; a partial index on
  their entries (`CORRECTING`) tells the forecast's burn which recent subtractions re-subtract a
  corrected entry (and may count as a late correction) without reading the whole ledger.
- `ledger_checkpoint` holds, per budget, the sum of its lines up to `upto_line_id`: a derived,
  re-computable subtotal of immutable lines (see `connector.budgets.balance_queries.balances`), so
  listing every balance reads the subtotals and only the lines appended since.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    or_,
)

from connector.storage.tables.base import JSONDoc, UTCDateTime, metadata

__all__ = [
    "CORRECTING",
    "CREDITING",
    "budget",
    "budget_rule",
    "entry_allocation",
    "ledger_checkpoint",
    "ledger_line",
]

AutoId = BigInteger().with_variant(Integer, "sqlite")

budget = Table(
    "budget",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("customer_type", String(16), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("unit", String(8), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("start_on", Date, nullable=False),
    Column("end_on", Date),
    Column("status", String(16), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("threshold_measure", BigInteger, nullable=False),
    Column("settings", JSONDoc, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
)
Index(
    "uq_budget_active_customer",
    budget.c.customer_type,
    budget.c.customer_id,
    unique=True,
    sqlite_where=budget.c.status == "active",
    postgresql_where=budget.c.status == "active",
)
Index("ix_budget_customer", budget.c.customer_type, budget.c.customer_id)

budget_rule = Table(
    "budget_rule",
    metadata,
    Column("budget_id", String(64), ForeignKey("budget.id"), nullable=False),
    Column("rule_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("criteria", JSONDoc, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    PrimaryKeyConstraint("budget_id", "rule_id", "version"),
)

entry_allocation = Table(
    "entry_allocation",
    metadata,
    Column("budget_id", String(64), ForeignKey("budget.id"), nullable=False),
    Column("time_entry_id", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("seen_revision", Integer, nullable=False),
    Column("seen_customer", String(90)),
    Column("seen_duration_seconds", Integer, nullable=False),
    Column("seen_invoiceable", Boolean, nullable=False),
    Column("seen_billing_type", String(16)),
    Column("duration_seconds", Integer),
    Column("rounded_seconds", Integer),
    Column("rate_cents", BigInteger),
    Column("rate_source", String(16)),
    Column("amount_cents", BigInteger),
    Column("pending_cents", BigInteger),
    Column("pending_seconds", Integer),
    Column("needs_rate", Boolean, nullable=False, default=False),
    Column("rule_id", String(100)),
    Column("rule_version", Integer),
    Column("flags", String(200), nullable=False, default=""),
    Column("kept_flags", String(200), nullable=False, default=""),
    Column("chosen_by_person", Boolean, nullable=False, default=False),
    Column("note", String(500)),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    PrimaryKeyConstraint("budget_id", "time_entry_id"),
)
Index(
    "uq_entry_allocation_subtracted_entry",
    entry_allocation.c.time_entry_id,
    unique=True,
    sqlite_where=entry_allocation.c.state == "subtracted",
    postgresql_where=entry_allocation.c.state == "subtracted",
)
Index("ix_entry_allocation_entry", entry_allocation.c.time_entry_id)
Index(
    "ix_entry_allocation_pending_value",
    entry_allocation.c.budget_id,
    entry_allocation.c.pending_cents,
    entry_allocation.c.pending_seconds,
    entry_allocation.c.state,
    sqlite_where=entry_allocation.c.state == "pending",
    postgresql_where=entry_allocation.c.state == "pending",
)

ledger_line = Table(
    "ledger_line",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("budget_id", String(64), ForeignKey("budget.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("seconds", BigInteger, nullable=False),
    Column("source_key", String(200), nullable=False, unique=True),
    Column("actor", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("time_entry_id", String(64)),
    Column("invoice_id", String(64)),
    Column("duration_seconds", Integer),
    Column("rounded_seconds", Integer),
    Column("rate_cents", BigInteger),
    Column("rate_source", String(16)),
    Column("rule_id", String(100)),
    Column("rule_version", Integer),
    Column("reason", Text, nullable=False, default=""),
    Column("details", JSONDoc),
    Column("period_index", Integer),
)
Index(
    "ix_ledger_line_budget_at",
    ledger_line.c.budget_id,
    ledger_line.c.at,
    ledger_line.c.amount_cents,
    ledger_line.c.seconds,
)
Index("ix_ledger_line_entry", ledger_line.c.time_entry_id)
CREDITING = or_(ledger_line.c.amount_cents > 0, ledger_line.c.seconds > 0)
Index(
    "ix_ledger_line_credits",
    ledger_line.c.budget_id,
    ledger_line.c.amount_cents,
    ledger_line.c.seconds,
    sqlite_where=CREDITING,
    postgresql_where=CREDITING,
)

CORRECTING = ledger_line.c.kind.in_(["reversal", "adjustment"])
Index(
    "ix_ledger_line_corrections",
    ledger_line.c.time_entry_id,
    ledger_line.c.budget_id,
    sqlite_where=CORRECTING,
    postgresql_where=CORRECTING,
)

ledger_checkpoint = Table(
    "ledger_checkpoint",
    metadata,
    Column("budget_id", String(64), ForeignKey("budget.id"), primary_key=True),
    Column("upto_line_id", BigInteger, nullable=False),
    Column("sum_cents", BigInteger, nullable=False),
    Column("sum_seconds", BigInteger, nullable=False),
    Column("refreshed_at", UTCDateTime, nullable=False),
)
