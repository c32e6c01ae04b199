"""Contract tests: the OAuth2 authorization-code flow and token rules of teamleader-api.md §1."""

from __future__ import annotations

import base64

import httpx

from connector.sandbox import ManualClock, Sandbox

REDIRECT = "http://localhost:8000/auth/callback"


async def _code(client: httpx.AsyncClient, state: str = "xyz") -> str:
    response = await client.get(
        "/oauth2/authorize",
        params={
            "client_id": "sandbox-client",
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "state": state,
        },
    )
    assert response.status_code == 302
    location = httpx.URL(response.headers["location"])
    assert str(location).startswith(REDIRECT)
    return location.params["code"]


def _exchange(code: str) -> dict[str, str]:
    return {
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT,
    }


def _refresh(refresh_token: str) -> dict[str, str]:
    return {
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "refresh_token": refresh_token,
        "grant_type": "refresh_token",
    }


async def test_authorize_redirects_with_code_and_state(client: httpx.AsyncClient) -> None:
    """§1.1 Endpoints: authorize approves at once and echoes `state` beside the code."""
    response = await client.get(
        "/oauth2/authorize",
        params={
            "client_id": "sandbox-client",
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "state": "s-1",
        },
    )
    params = httpx.URL(response.headers["location"]).params
    assert params["state"] == "s-1"
    assert params["code"]


async def test_code_exchange_form_and_json_bodies(client: httpx.AsyncClient) -> None:
    """§1.1 Endpoints: the token body may be form-urlencoded or JSON; answer has expires_in."""
    by_form = await client.post("/oauth2/access_token", data=_exchange(await _code(client)))
    by_json = await client.post("/oauth2/access_token", json=_exchange(await _code(client)))
    for response in (by_form, by_json):
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 3600
        assert body["access_token"] and body["refresh_token"]


async def test_client_credentials_in_basic_auth_header(client: httpx.AsyncClient) -> None:
    """§1.1 Endpoints: clients such as authlib send id and secret as HTTP Basic credentials."""
    form = _exchange(await _code(client))
    del form["client_id"], form["client_secret"]
    basic = base64.b64encode(b"sandbox-client:sandbox-secret").decode()
    response = await client.post(
        "/oauth2/access_token", data=form, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200


async def test_codes_are_single_use(client: httpx.AsyncClient) -> None:
    """§1.1 Endpoints: authorization codes are single-use."""
    code = await _code(client)
    assert (await client.post("/oauth2/access_token", data=_exchange(code))).status_code == 200
    second = await client.post("/oauth2/access_token", data=_exchange(code))
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


async def test_codes_expire_after_ten_minutes(client: httpx.AsyncClient, clock: ManualClock) -> None:
    """§1.1 Endpoints: codes expire 10 minutes after issue."""
    code = await _code(client)
    clock.advance(601)
    assert (await client.post("/oauth2/access_token", data=_exchange(code))).status_code == 400


async def test_wrong_client_secret_is_refused(client: httpx.AsyncClient) -> None:
    """§1.1 Endpoints: a wrong client secret gets 401 invalid_client."""
    form = _exchange(await _code(client))
    form["client_secret"] = "wrong"
    response = await client.post("/oauth2/access_token", data=form)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_redirect_uri_must_match_the_authorize_call(client: httpx.AsyncClient) -> None:
    """§1.1 Endpoints: redirect_uri in the exchange is the same as in authorize."""
    form = _exchange(await _code(client))
    form["redirect_uri"] = "http://elsewhere/cb"
    assert (await client.post("/oauth2/access_token", data=form)).status_code == 400


async def test_refresh_rotates_and_the_old_refresh_token_dies(client: httpx.AsyncClient) -> None:
    """§1.2 Refresh-token rotation: a used refresh token is refused with 400 and invalid_grant."""
    first = (await client.post("/oauth2/access_token", data=_exchange(await _code(client)))).json()
    second = await client.post("/oauth2/access_token", data=_refresh(first["refresh_token"]))
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reused = await client.post("/oauth2/access_token", data=_refresh(first["refresh_token"]))
    assert reused.status_code == 400
    body = reused.json()
    assert "invalid_grant" in reused.text
    assert body["errors"][0]["status"] == 400
    assert body["errors"][0]["title"] == "The refresh token is invalid."
    again = await client.post("/oauth2/access_token", data=_refresh(second.json()["refresh_token"]))
    assert again.status_code == 200


async def test_access_token_lifetime_is_configurable_and_expiry_gives_401(
    client: httpx.AsyncClient, sandbox: Sandbox, clock: ManualClock
) -> None:
    """§1.1 Token response: compute expiry from expires_in; an expired token gets 401 (§2.2)."""
    sandbox.settings.access_token_lifetime = 120
    tokens = (await client.post("/oauth2/access_token", data=_exchange(await _code(client)))).json()
    assert tokens["expires_in"] == 120
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.post("/users.me", json={}, headers=headers)).status_code == 200
    clock.advance(120)
    expired = await client.post("/users.me", json={}, headers=headers)
    assert expired.status_code == 401
    assert expired.json()["errors"][0]["status"] == 401


async def test_missing_or_unknown_token_gets_401(client: httpx.AsyncClient) -> None:
    """§2.2 Errors: 401 for a missing or invalid token."""
    assert (await client.post("/users.me", json={})).status_code == 401
    unknown = await client.post("/users.me", json={}, headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401


async def test_revoking_all_tokens_simulates_an_uninstall(client: httpx.AsyncClient) -> None:
    """§1.2 Lifetime: a revoked pair stops working for the API (401) and for refresh (400)."""
    tokens = (await client.post("/oauth2/access_token", data=_exchange(await _code(client)))).json()
    assert (await client.post("/_sandbox/tokens/revoke")).status_code == 200
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.post("/users.me", json={}, headers=headers)).status_code == 401
    refused = await client.post("/oauth2/access_token", data=_refresh(tokens["refresh_token"]))
    assert refused.status_code == 400


async def test_a_refusing_user_sends_access_denied(client: httpx.AsyncClient) -> None:
    """§1.1 Callback: on refusal the redirect carries error=access_denied."""
    await client.post("/_sandbox/settings", json={"authorize_denies": True})
    response = await client.get(
        "/oauth2/authorize",
        params={"client_id": "sandbox-client", "response_type": "code", "redirect_uri": REDIRECT},
    )
    params = httpx.URL(response.headers["location"]).params
    assert params["error"] == "access_denied"
    assert "code" not in params


async def test_refresh_grants_are_listed_with_the_age_of_the_pair_they_spent(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """The control API's record of refresh grants: one per rotation, refused reuse included."""
    first = (await client.post("/oauth2/access_token", data=_exchange(await _code(client)))).json()
    clock.advance(90)
    second = (await client.post("/oauth2/access_token", data=_refresh(first["refresh_token"]))).json()
    assert (
        await client.post("/oauth2/access_token", data=_refresh(first["refresh_token"]))
    ).status_code == 400
    listed = (await client.get("/_sandbox/oauth/refresh-grants")).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (listed["rotated"], listed["refused"], listed["access_token_lifetime"]) == (1, 1, 3600)
    assert [(g["rotated"], g["spent_pair_age"]) for g in listed["refresh_grants"]] == [
        (True, 90.0),
        (False, None),
    ]
