"""Prepaid budgets for Teamleader Focus: sync, ledger, and exactly-once top-up invoices."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
