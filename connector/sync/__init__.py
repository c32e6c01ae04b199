"""Sync: keeps the local copy of Teamleader data fresh (full, windowed and webhook-driven).

The sync knows nothing of budgets: after each batch it hands the ids of changed time entries to
one callback (`EntriesChanged`), which the composition root points at the billing engine.
"""

from __future__ import annotations

from connector.sync.engine import EntriesChanged, SyncEngine
from connector.sync.source import TeamleaderSource
from connector.sync.stats import ResourceStats, SyncReport

__all__ = ["EntriesChanged", "ResourceStats", "SyncEngine", "SyncReport", "TeamleaderSource"]
