"""A fake Teamleader behind a respx router (injected as the transport), a pinned clock, and a client.

The fake token endpoint behaves like Teamleader's: codes and refresh tokens are single-use, every
refresh rotates the pair, and a refused refresh answers 400 with Teamleader's `errors` body. The
client runs on the tests' `PinnedClock`: it moves only when the client sleeps or a test advances it,
so token expiry, pacing and back-off are exact.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from sqlalchemy import Engine
from support.clock import PinnedClock

from connector.settings import Settings
from connector.storage import create_db_engine
from connector.storage.token_store import TokenPair, TokenStore
from connector.teamleader import TeamleaderClient, build_client

API = "https://api.test.teamleader"
AUTH = "https://auth.test.teamleader"


class FakeTeamleader:
    """Token endpoint with rotation, and API routes that check the bearer token."""

    def __init__(self, clock: PinnedClock) -> None:
        self.clock = clock
        self.router = respx.Router(assert_all_mocked=True, assert_all_called=False)
        self.codes = {"good-code"}
        self.valid_access: set[str] = set()
        self.valid_refresh: set[str] = set()
        self.sent_refresh_tokens: list[str] = []
        self.issued: list[str] = []
        self.refresh_lifetime = 3600
        self._serial = itertools.count(1)
        self.token_route = self.router.post(f"{AUTH}/oauth2/access_token").mock(side_effect=self._token)

    def issue(self, expires_in: int = 3600) -> dict[str, Any]:
        n = next(self._serial)
        access, refresh = f"access-token-{n:04d}-secret", f"refresh-token-{n:04d}-secret"
        self.valid_access.add(access)
        self.issued += [access, refresh]
        self.valid_refresh.add(refresh)
        return {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "access_token": access,
            "refresh_token": refresh,
        }

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        assert form.get("client_id") == "client-1" and form.get("client_secret") == "client-secret-1"
        if form["grant_type"] == "authorization_code":
            if form.get("code") not in self.codes:
                return httpx.Response(400, json={"error": "invalid_grant", "error_description": "bad code"})
            self.codes.discard(form["code"])
            return httpx.Response(200, json=self.issue())
        token = form["refresh_token"]
        self.sent_refresh_tokens.append(token)
        if token not in self.valid_refresh:
            return httpx.Response(
                400,
                json={
                    "errors": [
                        {
                            "code": 8,
                            "title": "The refresh token is invalid.",
                            "status": 400,
                            "meta": {"type": "invalid_request", "hint": "Token has been revoked"},
                        }
                    ]
                },
            )
        self.valid_refresh.discard(token)
        return httpx.Response(200, json=self.issue(self.refresh_lifetime))

    def authorized(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.removeprefix("Bearer ") in self.valid_access

    def api(self, endpoint: str) -> respx.Route:
        return self.router.post(f"{API}/{endpoint}")

    def serve(self, endpoint: str, handler: Callable[[dict[str, Any]], httpx.Response]) -> respx.Route:
        """A route that answers 401 to a bad token and `handler(json body)` otherwise."""

        def respond(request: httpx.Request) -> httpx.Response:
            if not self.authorized(request):
                return httpx.Response(401, json={"errors": [{"title": "Access token is invalid"}]})
            return handler(json.loads(request.content or b"{}"))

        return self.api(endpoint).mock(side_effect=respond)


@pytest.fixture
def clock() -> PinnedClock:
    return PinnedClock()


@pytest.fixture
def fake(clock: PinnedClock) -> FakeTeamleader:
    return FakeTeamleader(clock)


@pytest.fixture
def tl_settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=sqlite_url,
        secret_key="test-secret-key-0123456789abcdef0123456789",
        teamleader_api_url=API,
        teamleader_auth_url=AUTH,
        teamleader_client_id="client-1",
        teamleader_client_secret="client-secret-1",
        teamleader_redirect_uri="http://127.0.0.1:8765/callback",
    )


@pytest.fixture
def tl_engine(tl_settings: Settings) -> Iterator[Engine]:
    engine = create_db_engine(tl_settings.resolved_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(tl_settings: Settings, tl_engine: Engine) -> TokenStore:
    return TokenStore.from_settings(tl_settings, tl_engine)


@pytest.fixture
def connected(fake: FakeTeamleader, store: TokenStore, clock: PinnedClock) -> TokenPair:
    """A stored connection whose access token is valid for an hour."""
    issued = fake.issue()
    pair = TokenPair(issued["access_token"], issued["refresh_token"], int(clock.time()) + 3600)
    store.save_authorized(pair, now=clock.at)
    return pair


@pytest.fixture
def make_client(
    tl_settings: Settings, tl_engine: Engine, fake: FakeTeamleader, clock: PinnedClock
) -> Iterator[Callable[..., TeamleaderClient]]:
    made: list[TeamleaderClient] = []

    def make(**overrides: Any) -> TeamleaderClient:
        transport = httpx.MockTransport(fake.router.handler)
        client = build_client(
            overrides.pop("settings", tl_settings),
            tl_engine,
            api_transport=transport,
            auth_transport=transport,
            clock=clock,
            rng=random.Random(7),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TeamleaderClient], connected: TokenPair) -> TeamleaderClient:
    return make_client()
