"""All tables, on one `metadata`; each area of the product keeps its tables in its own module."""

from __future__ import annotations

from connector.storage.tables import accounts, budgets, invoicing, ops, sync, writeback
from connector.storage.tables.base import metadata

__all__ = ["accounts", "budgets", "invoicing", "metadata", "ops", "sync", "writeback"]
