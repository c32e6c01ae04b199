"""Who may use the dashboard: password hashes, the login check, the API token and CSRF tokens.

Passwords are argon2 hashes in settings (`PREPAID_ADMIN_PASSWORD_HASH`), made by
`prepaid users hash-password`; the API token is compared in constant time; a CSRF token is a
random value kept in the signed session and echoed by every form and script that changes state.
A login for an unknown user still runs one argon2 verification, so timing does not tell which
user names exist.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from connector.settings import Settings

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "Authenticator",
    "csrf_matches",
    "csrf_token",
    "hash_password",
    "verify_password",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SESSION_CSRF = "csrf"
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash with a fresh salt, for PREPAID_ADMIN_PASSWORD_HASH."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def csrf_token(session: MutableMapping[str, Any], *, renew: bool = False) -> str:
    """The session's CSRF token, created on first use (and replaced at login, `renew`)."""
    token = session.get(_SESSION_CSRF)
    if renew or not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_SESSION_CSRF] = token
    return token


def csrf_matches(session: MutableMapping[str, Any], presented: str | None) -> bool:
    expected = session.get(_SESSION_CSRF)
    if not isinstance(expected, str) or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


class Authenticator:
    """The configured users and API token; answers yes or no, never which part was wrong."""

    def __init__(self, settings: Settings) -> None:
        self._user = settings.admin_user
        self._hash = settings.admin_password_hash.get_secret_value() if settings.admin_password_hash else None
        self._token = settings.api_token.get_secret_value() if settings.api_token else None

    @property
    def has_users(self) -> bool:
        return bool(self._user and self._hash)

    def login(self, user: str, password: str) -> str | None:
        """The user's name when the password is right, else None."""
        known = (
            self._user is not None
            and self._hash is not None
            and hmac.compare_digest(user.encode(), self._user.encode())
        )
        ok = verify_password(self._hash if known and self._hash else _DUMMY_HASH, password)
        return self._user if known and ok else None

    def token_ok(self, presented: str) -> bool:
        if self._token is None:
            return False
        return hmac.compare_digest(presented.encode(), self._token.encode())
