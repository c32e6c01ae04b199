"""OAuth: authorize URL, code exchange, refresh with rotation, refused refreshes, 401 handling."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from support.clock import PinnedClock

from connector.settings import Settings
from connector.storage.token_store import NEEDS_REAUTHORIZATION, TokenPair, TokenStore
from connector.teamleader import ReauthorizationRequired, TeamleaderClient, TeamleaderOAuth, TokenRefused

from .conftest import FakeTeamleader

ME = {
    "data": {
        "id": "user-1",
        "first_name": "Ada",
        "last_name": "Peeters",
        "account": {"type": "account", "id": "acc-1"},
    }
}


def me_ok(_: dict[str, object]) -> httpx.Response:
    return httpx.Response(200, json=ME)


def oauth_for(settings: Settings, fake: FakeTeamleader, clock: PinnedClock) -> TeamleaderOAuth:
    return TeamleaderOAuth(settings, transport=httpx.MockTransport(fake.router.handler), clock=clock)


def test_authlib_client_in_use_is_built_on_httpx_not_httpx2(
    tl_settings: Settings, fake: FakeTeamleader, clock: PinnedClock
) -> None:
    oauth = oauth_for(tl_settings, fake, clock)
    assert issubclass(OAuth2Client, httpx.Client)
    assert isinstance(oauth.http_client, httpx.Client)
    assert type(oauth.http_client).__mro__[1:].count(httpx.Client) == 1
    oauth.close()


def test_authorization_url_carries_client_redirect_and_state(
    tl_settings: Settings, fake: FakeTeamleader, clock: PinnedClock
) -> None:
    url = oauth_for(tl_settings, fake, clock).authorization_url("state-123456")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://auth.test.teamleader/oauth2/authorize"
    assert query == {
        "response_type": "code",
        "client_id": "client-1",
        "redirect_uri": "http://127.0.0.1:8765/callback",
        "state": "state-123456",
    }


def test_code_exchange_returns_a_pair_with_integer_expiry(
    tl_settings: Settings, fake: FakeTeamleader, clock: PinnedClock
) -> None:
    pair = oauth_for(tl_settings, fake, clock).exchange_code("good-code")
    assert pair.access_token in fake.valid_access
    assert pair.refresh_token in fake.valid_refresh
    assert pair.expires_at == int(clock.time()) + 3600
    form = parse_qs(fake.token_route.calls.last.request.content.decode())
    assert form["grant_type"] == ["authorization_code"]
    assert form["redirect_uri"] == ["http://127.0.0.1:8765/callback"]


def test_a_code_is_refused_the_second_time(
    tl_settings: Settings, fake: FakeTeamleader, clock: PinnedClock
) -> None:
    oauth = oauth_for(tl_settings, fake, clock)
    oauth.exchange_code("good-code")
    with pytest.raises(TokenRefused) as caught:
        oauth.exchange_code("good-code")
    assert "invalid_grant" in str(caught.value)


def test_expired_token_is_refreshed_once_rotated_and_stored_before_use(
    client: TeamleaderClient,
    fake: FakeTeamleader,
    store: TokenStore,
    clock: PinnedClock,
    connected: TokenPair,
) -> None:
    seen_tokens: list[str] = []

    def me(_: dict[str, object]) -> httpx.Response:
        stored = store.load()
        assert stored is not None
        seen_tokens.append(stored.access_token)
        return httpx.Response(200, json=ME)

    route = fake.serve("users.me", me)
    clock.advance(seconds=3600)
    assert client.me().account_id == "acc-1"
    stored = store.load()
    assert stored is not None
    assert fake.token_route.call_count == 1
    assert fake.sent_refresh_tokens == [connected.refresh_token]
    assert stored.refresh_token != connected.refresh_token
    assert stored.version == 2 and stored.refreshed_at is not None
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {stored.access_token}"
    assert seen_tokens == [stored.access_token]
    client.me()
    assert fake.token_route.call_count == 1


def test_two_second_tokens_are_refreshed_once_per_expiry_not_before_every_call(
    fake: FakeTeamleader, store: TokenStore, clock: PinnedClock, make_client: Callable[..., TeamleaderClient]
) -> None:
    fake.refresh_lifetime = 2
    issued = fake.issue(expires_in=2)
    store.save_authorized(
        TokenPair(issued["access_token"], issued["refresh_token"], int(clock.time()) + 2), clock.at
    )
    fake.serve("users.me", me_ok)
    client = make_client()
    for _ in range(5):
        client.me()
    assert fake.token_route.call_count == 0
    for expiry in range(1, 4):
        clock.advance(seconds=1.6)
        for _ in range(5):
            client.me()
        assert fake.token_route.call_count == expiry
    assert len(set(fake.sent_refresh_tokens)) == len(fake.sent_refresh_tokens) == 3


def test_a_login_while_the_refresh_was_out_wins_over_the_refreshed_pair(
    client: TeamleaderClient, fake: FakeTeamleader, store: TokenStore, clock: PinnedClock
) -> None:
    route = fake.serve("users.me", me_ok)
    logged_in = fake.issue()
    answer_refresh = fake.token_route.side_effect

    def refresh_during_a_login(request: httpx.Request) -> httpx.Response:
        store.save_authorized(
            TokenPair(logged_in["access_token"], logged_in["refresh_token"], int(clock.time()) + 3600),
            clock.at,
        )
        return answer_refresh(request)

    fake.token_route.side_effect = refresh_during_a_login
    clock.advance(seconds=3600)
    assert client.me().account_id == "acc-1"
    stored = store.load()
    assert stored is not None and stored.access_token == logged_in["access_token"]
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {logged_in['access_token']}"
    assert fake.token_route.call_count == 1


def test_old_refresh_token_is_refused_after_rotation(
    tl_settings: Settings, fake: FakeTeamleader, clock: PinnedClock, connected: TokenPair
) -> None:
    oauth = oauth_for(tl_settings, fake, clock)
    rotated = oauth.refresh(connected.refresh_token)
    with pytest.raises(TokenRefused) as caught:
        oauth.refresh(connected.refresh_token)
    assert caught.value.status == 400
    assert "Token has been revoked" in caught.value.detail
    assert oauth.refresh(rotated.refresh_token).refresh_token != rotated.refresh_token


def test_refused_refresh_marks_the_connection_and_names_the_login_command(
    client: TeamleaderClient,
    fake: FakeTeamleader,
    store: TokenStore,
    clock: PinnedClock,
    connected: TokenPair,
) -> None:
    fake.valid_refresh.discard(connected.refresh_token)
    route = fake.serve("users.me", me_ok)
    clock.advance(seconds=3600)
    with pytest.raises(ReauthorizationRequired) as caught:
        client.me()
    assert "prepaid auth login" in str(caught.value)
    stored = store.load()
    assert stored is not None and stored.status == NEEDS_REAUTHORIZATION
    assert fake.token_route.call_count == 1
    with pytest.raises(ReauthorizationRequired):
        client.me()
    assert fake.token_route.call_count == 1
    assert route.call_count == 0


def test_invalid_grant_body_also_means_reauthorization(
    make_client: Callable[..., TeamleaderClient],
    fake: FakeTeamleader,
    clock: PinnedClock,
    connected: TokenPair,
) -> None:
    fake.token_route.mock(side_effect=None, return_value=httpx.Response(400, json={"error": "invalid_grant"}))
    clock.advance(seconds=3600)
    with pytest.raises(ReauthorizationRequired, match="invalid_grant"):
        make_client().me()


def test_unauthorized_call_refreshes_once_and_replays_once(
    client: TeamleaderClient, fake: FakeTeamleader, connected: TokenPair
) -> None:
    route = fake.serve("users.me", me_ok)
    fake.valid_access.discard(connected.access_token)
    assert client.me().id == "user-1"
    assert fake.token_route.call_count == 1
    assert route.call_count == 2


def test_second_unauthorized_answer_is_not_retried_in_a_loop(
    client: TeamleaderClient, fake: FakeTeamleader, connected: TokenPair
) -> None:
    route = fake.api("users.me").respond(401, json={"errors": [{"title": "Access token revoked"}]})
    with pytest.raises(ReauthorizationRequired, match="Access token revoked"):
        client.me()
    assert route.call_count == 2
    assert fake.token_route.call_count == 1


def test_unauthorized_call_adopts_a_pair_another_process_stored(
    client: TeamleaderClient,
    fake: FakeTeamleader,
    store: TokenStore,
    clock: PinnedClock,
    connected: TokenPair,
) -> None:
    route = fake.serve("users.me", me_ok)
    client.me()
    issued = fake.issue()
    fake.valid_access.discard(connected.access_token)
    stored = store.load()
    assert stored is not None
    store.save_rotated(
        stored.version,
        TokenPair(issued["access_token"], issued["refresh_token"], int(clock.time()) + 3600),
        now=clock.at,
    )
    assert client.me().id == "user-1"
    assert fake.token_route.call_count == 0
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {issued['access_token']}"


def test_no_stored_connection_asks_for_login(make_client: Callable[..., TeamleaderClient]) -> None:
    with pytest.raises(ReauthorizationRequired, match="prepaid auth login"):
        make_client().me()
