"""What a sync did, per resource: the figures of the summary table and of `--json`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ResourceStats", "SyncReport"]


@dataclass
class ResourceStats:
    """Counts for one resource in one sync."""

    resource: str
    fetched: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    pages: int = 0
    api_calls: int = 0
    seconds: float = 0.0


@dataclass
class SyncReport:
    """The outcome of one sync run."""

    kind: str
    resources: list[ResourceStats] = field(default_factory=list)
    unresolved_entries: int = 0
    changed_entry_ids: set[str] = field(default_factory=set, repr=False)

    @property
    def api_calls(self) -> int:
        return sum(r.api_calls for r in self.resources)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "resources": [asdict(r) for r in self.resources],
            "api_calls": self.api_calls,
            "unresolved_entries": self.unresolved_entries,
            "changed_entries": len(self.changed_entry_ids),
        }
