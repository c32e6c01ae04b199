"""Everything a sandbox is started with: credentials, limits, seed size and initial faults.

`SandboxConfig` is what the CLI, `python -m connector.sandbox`, `SandboxServer` and tests build;
the limits it holds can be changed later at run time through the control API (`/_sandbox/settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from connector.sandbox.faults import FaultRule

__all__ = ["RuntimeSettings", "SandboxConfig", "SeedParams"]

DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105  (a published sandbox credential, not a secret)


@dataclass(frozen=True, slots=True)
class SeedParams:
    """How much agency data to generate; the same values always produce the same data."""

    seed: int = 1
    companies: int = 40
    contacts: int = 60
    entries: int = 2000
    months: int = 6
    anchor: date | None = None
    """Last day of tracked time; defaults to today so the demo looks current."""
    task_share: float = 0.0
    """Share (0..1) of the entries tracked on tasks (`todo` subjects), some of them on tasks
    without a customer; 0 (the default) tracks nothing on tasks."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.task_share <= 1.0:
            raise ValueError(f"task_share {self.task_share} must be between 0 and 1 (e.g. 0.02 for 2 %)")


@dataclass(slots=True)
class RuntimeSettings:
    """Limits that the control API may change while the sandbox runs."""

    access_token_lifetime: int = 3600
    rate_limit: int = 200
    rate_window: float = 60.0
    rate_limit_enabled: bool = True
    webhook_drop_probability: float = 0.0
    authorize_denies: bool = False


@dataclass(slots=True)
class SandboxConfig:
    """Start-up configuration of one sandbox instance."""

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    seed: SeedParams = field(default_factory=SeedParams)
    settings: RuntimeSettings = field(default_factory=RuntimeSettings)
    faults: list[FaultRule] = field(default_factory=list)
    fault_seed: int = 0
