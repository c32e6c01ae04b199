"""Wiring one process's Teamleader client from the settings and the database engine.

One `httpx.Client` (thread-safe) for the API, one authlib client for the token endpoint, one rate
limiter and one token source per process: the composition root calls `build_client()` once and
shares the result with every worker thread. Tests pass their own transports (`httpx.MockTransport`
over a respx router, or real sockets to the sandbox) and a fake clock.
"""

from __future__ import annotations

import random

import httpx
from sqlalchemy import Engine

from connector.clock import SYSTEM_CLOCK, Clock
from connector.logging import register_secret
from connector.settings import Settings
from connector.storage.token_store import TokenStore
from connector.teamleader.call_timeouts import invoice_timeouts
from connector.teamleader.client import TeamleaderClient
from connector.teamleader.oauth import TeamleaderOAuth
from connector.teamleader.ratelimit import RateLimiter
from connector.teamleader.tokens import AccessTokens
from connector.teamleader.transport import API_TIMEOUT, ApiTransport

__all__ = ["build_client"]

_POOL = httpx.Limits(max_connections=20, max_keepalive_connections=10)


def build_client(
    settings: Settings,
    engine: Engine,
    *,
    oauth: TeamleaderOAuth | None = None,
    api_transport: httpx.BaseTransport | None = None,
    auth_transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> TeamleaderClient:
    """The process's Teamleader client; raises `ConfigError` when the client id or secret is missing."""
    clock = clock or SYSTEM_CLOCK
    if settings.secret_key is not None:
        register_secret(settings.secret_key.get_secret_value())
    oauth = oauth or TeamleaderOAuth(settings, transport=auth_transport, clock=clock)
    tokens = AccessTokens(TokenStore.from_settings(settings, engine), oauth, clock)
    http = httpx.Client(
        timeout=API_TIMEOUT,
        limits=_POOL,
        transport=api_transport,
        event_hooks={"request": [invoice_timeouts(settings.topup_call_timeout_seconds)]},
    )
    transport = ApiTransport(
        api_url=settings.teamleader_api_url,
        api_version=settings.teamleader_api_version,
        tokens=tokens,
        limiter=RateLimiter(settings.rate_limit_per_minute, clock, reserve=settings.rate_limit_reserve),
        http=http,
        clock=clock,
        rng=rng,
    )
    return TeamleaderClient(transport, oauth=oauth)
