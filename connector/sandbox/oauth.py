"""OAuth2 authorization-code flow with Teamleader's token rules (teamleader-api.md §1).

Authorize approves at once and redirects with `code` and `state`; codes are single-use and
expire after 10 minutes; every refresh rotates the refresh token and kills the old one; a dead or
revoked refresh token gets 400 with a body carrying both observed shapes (`invalid_grant`, and
the `errors` array whose entry has `code` 8 and `meta {type, hint}`, T2DB's observed body); a
wrong client secret gets 401 `invalid_client`. Every refresh grant is recorded (`refresh_grants`:
when, whether it rotated, how old the spent pair was) so a test can tell one refresh per expiry
from a refresh before every call or a refresh token sent twice.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from connector.sandbox.clock import Clock
from connector.sandbox.config import RuntimeSettings
from connector.sandbox.errors import ApiError

__all__ = ["OAuthServer"]

CODE_LIFETIME = timedelta(minutes=10)


@dataclass(slots=True)
class _Code:
    client_id: str
    redirect_uri: str
    expires_at: datetime


@dataclass(slots=True)
class _Access:
    client_id: str
    expires_at: datetime


def _oauth_error(status: int, error: str, description: str, **meta: Any) -> ApiError:
    return ApiError(status, description, extra={"error": error, "error_description": description, **meta})


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class OAuthServer:
    def __init__(self, client_id: str, client_secret: str, settings: RuntimeSettings, clock: Clock) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self._settings = settings
        self._clock = clock
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, str] = {}
        self._issued_at: dict[str, datetime] = {}
        self.refresh_grants: list[dict[str, Any]] = []

    def authorize(self, query: dict[str, str]) -> str:
        """The redirect location for `GET /oauth2/authorize`."""
        redirect_uri = query.get("redirect_uri")
        if not redirect_uri:
            raise _oauth_error(400, "invalid_request", "redirect_uri is required")
        if query.get("client_id") != self.client_id:
            raise _oauth_error(400, "invalid_client", f"unknown client_id {query.get('client_id')!r}")
        extra = {"state": query["state"]} if "state" in query else {}
        if query.get("response_type") != "code":
            return _with_query(redirect_uri, {"error": "unsupported_response_type", **extra})
        if self._settings.authorize_denies:
            return _with_query(redirect_uri, {"error": "access_denied", **extra})
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(self.client_id, redirect_uri, self._clock.now() + CODE_LIFETIME)
        return _with_query(redirect_uri, {"code": code, **extra})

    def token(self, form: dict[str, Any], authorization: str | None) -> dict[str, Any]:
        """`POST /oauth2/access_token` for both grants; client credentials in body or Basic auth."""
        client_id, client_secret = _client_credentials(form, authorization)
        if client_id != self.client_id or not secrets.compare_digest(str(client_secret), self.client_secret):
            raise _oauth_error(401, "invalid_client", "Client authentication failed")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._exchange_code(form)
        if grant == "refresh_token":
            return self._rotate(form)
        raise _oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r} is not supported")

    def _exchange_code(self, form: dict[str, Any]) -> dict[str, Any]:
        code = self._codes.pop(str(form.get("code")), None)
        if code is None or code.expires_at < self._clock.now():
            raise _oauth_error(400, "invalid_grant", "The authorization code is invalid or has expired.")
        if form.get("redirect_uri") not in (None, code.redirect_uri):
            raise _oauth_error(400, "invalid_grant", "redirect_uri does not match the one used to authorize")
        return self._issue(code.client_id)

    def _rotate(self, form: dict[str, Any]) -> dict[str, Any]:
        token = str(form.get("refresh_token"))
        client_id = self._refresh.pop(token, None)
        issued = self._issued_at.pop(token, None)
        now = self._clock.now()
        self.refresh_grants.append(
            {
                "at": now.isoformat(),
                "rotated": client_id is not None,
                "spent_pair_age": None if issued is None else (now - issued).total_seconds(),
            }
        )
        if client_id is None:
            raise ApiError(
                400,
                "The refresh token is invalid.",
                extra={
                    "error": "invalid_grant",
                    "error_description": "The refresh token is invalid.",
                    "hint": "Token has been revoked",
                    "message": "The refresh token is invalid.",
                },
                error={"code": 8, "meta": {"type": "invalid_request", "hint": "Token has been revoked"}},
            )
        return self._issue(client_id)

    def _issue(self, client_id: str) -> dict[str, Any]:
        access_token = secrets.token_urlsafe(32)
        refresh_token = secrets.token_urlsafe(32)
        lifetime = self._settings.access_token_lifetime
        self._access[access_token] = _Access(client_id, self._clock.now() + timedelta(seconds=lifetime))
        self._refresh[refresh_token] = client_id
        self._issued_at[refresh_token] = self._clock.now()
        return {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "access_token": access_token,
            "refresh_token": refresh_token,
        }

    def check_access(self, authorization: str | None) -> str:
        """The client id behind a Bearer token; 401 when missing, unknown or expired."""
        if not authorization or not authorization.startswith("Bearer "):
            raise _oauth_error(401, "invalid_token", "Access token is missing")
        access = self._access.get(authorization[7:].strip())
        if access is None:
            raise _oauth_error(401, "invalid_token", "Access token is invalid")
        if access.expires_at <= self._clock.now():
            raise _oauth_error(401, "invalid_token", "Access token has expired")
        return access.client_id

    def revoke_all(self) -> int:
        """Forgets every token, as when the user uninstalls the integration; returns how many."""
        count = len(self._access) + len(self._refresh) + len(self._codes)
        self._access.clear()
        self._refresh.clear()
        self._issued_at.clear()
        self._codes.clear()
        self.refresh_grants.clear()
        return count

    def issue_for_tests(self) -> dict[str, Any]:
        """A token pair without the browser dance, for the control API and fixtures."""
        return self._issue(self.client_id)


def _client_credentials(form: dict[str, Any], authorization: str | None) -> tuple[str | None, str | None]:
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise _oauth_error(401, "invalid_client", "Malformed Basic authorization header") from exc
        client_id, _, client_secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(client_secret)
    form_id, form_secret = form.get("client_id"), form.get("client_secret")
    return (None if form_id is None else str(form_id), None if form_secret is None else str(form_secret))
