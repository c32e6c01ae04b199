"""End-to-end fixtures: a sandbox on a real socket, and the product connected to it by real OAuth.

`start_sandbox(...)` serves a seeded sandbox from a background thread; `connect_stack(...)`
builds the product's container on a migrated database with settings pointing at that sandbox,
walks the authorization-code flow through the sandbox's /oauth2 endpoints, and stores the tokens
as `prepaid auth login` would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from support.clock import process_today

from connector.bootstrap import Container, bootstrap
from connector.sandbox.config import RuntimeSettings, SandboxConfig, SeedParams
from connector.sandbox.server import SandboxServer
from connector.settings import Settings
from connector.storage.token_store import TokenStore
from connector.teamleader import TeamleaderOAuth

StartSandbox = Callable[..., SandboxServer]
ConnectStack = Callable[..., Container]


@pytest.fixture
def start_sandbox() -> Iterator[StartSandbox]:
    """Start seeded sandboxes (rate limit off unless asked); all are stopped after the test."""
    servers: list[SandboxServer] = []

    def start(
        *,
        companies: int = 20,
        contacts: int = 30,
        entries: int = 400,
        months: int = 6,
        rate_limit: bool = False,
        seed: int = 7,
        task_share: float = 0.0,
        **runtime: Any,
    ) -> SandboxServer:
        config = SandboxConfig(
            seed=SeedParams(
                seed=seed,
                companies=companies,
                contacts=contacts,
                entries=entries,
                months=months,
                anchor=process_today() - timedelta(days=3),
                task_share=task_share,
            ),
            settings=RuntimeSettings(rate_limit_enabled=rate_limit, **runtime),
        )
        server = SandboxServer(config).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def stack_settings(sandbox: SandboxServer, db_url: str, data_dir: Path, **extra: Any) -> Settings:
    """Settings of a product instance that talks to `sandbox`."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": db_url,
        "secret_key": "e2e-secret-key-0123456789abcdef0123456789abcdef",
        "teamleader_api_url": sandbox.url,
        "teamleader_auth_url": sandbox.url,
        "teamleader_client_id": sandbox.client_id,
        "teamleader_client_secret": sandbox.client_secret,
        "sync_since": process_today() - timedelta(days=400),
        "rate_limit_per_minute": 100_000,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def authorize(container: Container) -> None:
    """The authorization-code flow against the sandbox, tokens stored encrypted."""
    settings, clock = container.settings, container.clock
    oauth = TeamleaderOAuth(settings, clock=clock)
    try:
        approve = httpx.get(oauth.authorization_url("e2e-state"), follow_redirects=False, timeout=10)
        query = parse_qs(urlparse(approve.headers["location"]).query)
        assert query["state"] == ["e2e-state"]
        TokenStore.from_settings(settings, container.engine).save_authorized(
            oauth.exchange_code(query["code"][0]), now=clock.now()
        )
    finally:
        oauth.close()


@pytest.fixture
def connect_stack(tmp_path: Path, db_url: str) -> Iterator[ConnectStack]:
    """Build connected product containers on the parametrised database; closed after the test."""
    containers: list[Container] = []

    def connect(sandbox: SandboxServer, **extra: Any) -> Container:
        settings = stack_settings(sandbox, db_url, tmp_path / f"data{len(containers)}", **extra)
        container = bootstrap(settings, configure_logs=False)
        authorize(container)
        containers.append(container)
        return container

    yield connect
    for container in containers:
        container.close()
