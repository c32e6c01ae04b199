"""Teamleader's OAuth2 endpoints: the authorize URL, the code exchange and one refresh request.

authlib is used where it helps: `OAuth2Client` builds the authorize URL and the token requests
(client id and secret in the form body, as Teamleader expects). Its automatic refresh is not used:
the sync client has no refresh lock (N threads make N refresh calls with the same single-use refresh
token), its lock would cover one instance in one process anyway, and it ignores 401s. Refresh is
driven by `connector.teamleader.tokens`, which calls `refresh()` here once, under a thread lock and a
database row lock. authlib also treats any JSON object without an `error` key as a token, and
Teamleader's refusals are `{"errors": [...]}` with HTTP 400, so a compliance hook checks the status
first. The token endpoint gets a short timeout so a refresh never holds the row lock for long.

Note: authlib switches to the `httpx2` fork when that is importable, which respx cannot mock; a
test asserts that the client class in use is built on `httpx.Client`.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from connector.clock import SYSTEM_CLOCK, Clock
from connector.logging import register_secret
from connector.settings import Settings
from connector.storage.token_store import TokenPair
from connector.teamleader.authlib_compat import OAuth2Client, OAuthError
from connector.teamleader.errors import AuthError, ServerError, TokenRefused, TransportFailed
from connector.teamleader.responses import error_text

__all__ = ["TOKEN_TIMEOUT", "TeamleaderOAuth"]

TOKEN_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_EXPIRES_IN = 3600
_TOKEN_ENDPOINT = "oauth2/access_token"  # noqa: S105 - a path, not a secret


class TeamleaderOAuth:
    """The integration's side of the OAuth2 authorization-code flow with Teamleader."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        client_id, client_secret = settings.require_client()
        register_secret(client_secret)
        self.authorize_endpoint = f"{settings.teamleader_auth_url}/oauth2/authorize"
        self.token_endpoint = f"{settings.teamleader_auth_url}/{_TOKEN_ENDPOINT}"
        self.redirect_uri = settings.teamleader_redirect_uri
        self._clock = clock or SYSTEM_CLOCK
        self._lock = threading.Lock()
        self._client = OAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
            redirect_uri=self.redirect_uri,
            timeout=TOKEN_TIMEOUT,
            transport=transport,
        )
        self._client.register_compliance_hook("access_token_response", self._checked("authorization code"))
        self._client.register_compliance_hook("refresh_token_response", self._checked("refresh token"))

    @property
    def http_client(self) -> httpx.Client:
        """The authlib client (an `httpx.Client`), exposed for the httpx-not-httpx2 guard."""
        client: httpx.Client = self._client
        return client

    def authorization_url(self, state: str) -> str:
        """Where the user approves the integration; Teamleader redirects back with `code` and `state`."""
        register_secret(state)
        url, _ = self._client.create_authorization_url(self.authorize_endpoint, state=state)
        return str(url)

    def exchange_code(self, code: str) -> TokenPair:
        """Trade a single-use authorization code for the first token pair."""
        register_secret(code)
        with self._lock:
            token = self._request(
                "authorization code",
                lambda: self._client.fetch_token(
                    self.token_endpoint, grant_type="authorization_code", code=code
                ),
            )
        return self._pair(token, previous_refresh_token=None)

    def refresh(self, refresh_token: str) -> TokenPair:
        """Spend `refresh_token` once; Teamleader answers with a new pair and the old one is dead."""
        register_secret(refresh_token)
        with self._lock:
            token = self._request(
                "refresh token",
                lambda: self._client.refresh_token(self.token_endpoint, refresh_token=refresh_token),
            )
        return self._pair(token, previous_refresh_token=refresh_token)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _request(self, grant: str, send: Any) -> dict[str, Any]:
        try:
            token = send()
        except httpx.TransportError as exc:
            sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
            raise TransportFailed(_TOKEN_ENDPOINT, type(exc).__name__, sent=sent) from None
        except OAuthError as exc:
            raise TokenRefused(grant, 400, f"{exc.error}: {exc.description or ''}".strip(": ")) from None
        except ValueError as exc:
            raise AuthError(f"Teamleader's token endpoint gave an unusable answer: {exc}") from None
        return dict(token)

    def _checked(self, grant: str) -> Any:
        def check(response: httpx.Response) -> httpx.Response:
            status = response.status_code
            if status in (400, 401):
                raise TokenRefused(grant, status, error_text(response))
            if status >= 500:
                raise ServerError(_TOKEN_ENDPOINT, status, error_text(response))
            if not 200 <= status < 300:
                raise AuthError(
                    f"Teamleader's token endpoint answered HTTP {status} to the {grant}: "
                    f"{error_text(response)}"
                )
            return response

        return check

    def _pair(self, token: dict[str, Any], previous_refresh_token: str | None) -> TokenPair:
        access_token = token.get("access_token")
        refresh_token = token.get("refresh_token") or previous_refresh_token
        if not isinstance(access_token, str) or not isinstance(refresh_token, str):
            raise AuthError(
                "Teamleader's token endpoint answered without an access token and refresh token; "
                "check PREPAID_TEAMLEADER_AUTH_URL"
            )
        register_secret(access_token)
        register_secret(refresh_token)
        expires_in = token.get("expires_in")
        if expires_in is not None:
            expires_at = int(self._clock.time()) + int(expires_in)
        else:
            expires_at = int(token.get("expires_at") or int(self._clock.time()) + DEFAULT_EXPIRES_IN)
        scope = token.get("scope")
        return TokenPair(access_token, refresh_token, expires_at, str(scope) if scope else None)
