"""The Teamleader Focus API client: the only code in the product that speaks HTTP to Teamleader.

The product is synchronous end to end: one thread-safe `httpx.Client` per process, SQLAlchemy in
sync mode, workers in threads. authlib builds the OAuth requests, but its automatic refresh is not
used (the sync client has no refresh lock and ignores 401s); refresh is single-flight per process
and across processes through the token row's lock in the database (`connector.teamleader.tokens`).

Public surface: `build_client()` → `TeamleaderClient` (one typed method per endpoint), the models,
the error tree, and `TeamleaderOAuth` for the login flow.
"""

from __future__ import annotations

from connector.teamleader.client import ApiCaller, TeamleaderClient
from connector.teamleader.errors import (
    AuthError,
    MalformedResponse,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ReauthorizationRequired,
    RequestFailed,
    ServerError,
    TeamleaderError,
    TokenRefused,
    TransportFailed,
    ValidationFailed,
)
from connector.teamleader.factory import build_client
from connector.teamleader.oauth import TeamleaderOAuth
from connector.teamleader.operations import Operation, classify
from connector.teamleader.ratelimit import Lane, RateLimiter, RateLimitStatus

__all__ = [
    "ApiCaller",
    "AuthError",
    "Lane",
    "MalformedResponse",
    "NotFound",
    "Operation",
    "OutcomeUnknown",
    "RateLimitStatus",
    "RateLimited",
    "RateLimiter",
    "ReauthorizationRequired",
    "RequestFailed",
    "ServerError",
    "TeamleaderClient",
    "TeamleaderError",
    "TeamleaderOAuth",
    "TokenRefused",
    "TransportFailed",
    "ValidationFailed",
    "build_client",
    "classify",
]
