"""Start-up options shared by `prepaid sandbox` and `python -m connector.sandbox`.

Both build a `SandboxConfig` from the same options and print the same banner, so the demo, the
end-to-end tests (which start the sandbox as a subprocess) and a developer see the same thing.
"""

from __future__ import annotations

from datetime import date

from connector.sandbox.config import RuntimeSettings, SandboxConfig, SeedParams
from connector.sandbox.faults import parse_fault_spec

__all__ = ["banner", "build_config"]


def build_config(
    *,
    seed: int,
    companies: int,
    contacts: int,
    entries: int,
    months: int,
    anchor: str | None,
    task_share: float = 0.0,
    client_id: str,
    client_secret: str,
    token_lifetime: int,
    rate_limit: int,
    faults: list[str],
    fault_seed: int,
) -> SandboxConfig:
    """Raises ValueError (InvalidFault for faults) with a message naming the bad option."""
    try:
        anchor_date = date.fromisoformat(anchor) if anchor else None
    except ValueError as exc:
        raise ValueError(f"--anchor {anchor!r} is not a date (YYYY-MM-DD)") from exc
    if min(companies, contacts, entries) < 0 or months < 1:
        raise ValueError("--companies, --contacts and --entries must be >= 0, --months >= 1")
    if not 0.0 <= task_share <= 1.0:
        raise ValueError(f"--task-share {task_share} must be between 0 and 1 (e.g. 0.02 for 2 %)")
    return SandboxConfig(
        client_id=client_id,
        client_secret=client_secret,
        seed=SeedParams(seed, companies, contacts, entries, months, anchor_date, task_share),
        settings=RuntimeSettings(
            access_token_lifetime=token_lifetime,
            rate_limit=max(rate_limit, 1),
            rate_limit_enabled=rate_limit > 0,
        ),
        faults=[parse_fault_spec(spec) for spec in faults],
        fault_seed=fault_seed,
    )


def banner(url: str, config: SandboxConfig) -> str:
    """What the sandbox prints on start: where to point the product, and how to log in."""
    return "\n".join(
        [
            f"Teamleader sandbox listening on {url}",
            f"  API:          {url}/<resource>.<action>  (e.g. {url}/users.me)",
            f"  authorize:    {url}/oauth2/authorize",
            f"  token:        {url}/oauth2/access_token",
            f"  control API:  {url}/_sandbox/state",
            f"  client_id:     {config.client_id}",
            f"  client_secret: {config.client_secret}",
            "Point the product at it:",
            f"  PREPAID_TEAMLEADER_API_URL={url}",
            f"  PREPAID_TEAMLEADER_AUTH_URL={url}",
            "Press Ctrl-C to stop.",
        ]
    )
