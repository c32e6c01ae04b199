"""The Teamleader connection's tokens in the database, encrypted at rest, rotated by compare-and-swap.

Teamleader's refresh tokens are single-use: the pair a refresh returns must be committed before the
new access token is used, and two processes must never refresh with the same refresh token. So a
refresh runs under `refresh_lock()`, a lock across threads and processes that is not a database
transaction (`connector.storage.held_lock`): the refresh call goes out with no transaction open,
so it never holds the database (or, on SQLite, its write lock) while Teamleader answers, and a
thread that is itself writing cannot deadlock against it. Under that lock the row is re-read, and
the new pair is saved with a compare-and-swap on `version` in one short transaction. Reads take a
snapshot (no write lock on SQLite). Tokens are encrypted with Fernet under a key derived from
`PREPAID_SECRET_KEY`; `expires_at` is integer epoch seconds (an ISO string there would make an
OAuth client believe the token never expires). Every token read or written is registered with the
log redactor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, Engine, delete, insert, select, update

from connector.clock import Clock
from connector.errors import PrepaidError
from connector.logging import register_secret
from connector.settings import Settings
from connector.storage.engine import snapshot
from connector.storage.held_lock import held_lock
from connector.storage.tables.accounts import teamleader_connection

__all__ = [
    "ACTIVE",
    "NEEDS_REAUTHORIZATION",
    "REFRESH_LOCK",
    "StoredConnection",
    "TokenPair",
    "TokenStore",
    "UnreadableTokens",
]

REFRESH_LOCK = "teamleader-token-refresh"
"""The name of the lock every process takes around a token refresh."""
ACTIVE = "active"
NEEDS_REAUTHORIZATION = "needs_reauthorization"
_ROW_ID = 1


class UnreadableTokens(PrepaidError):
    """The stored tokens were encrypted with another secret key."""

    exit_code = 2

    def __init__(self) -> None:
        super().__init__(
            "the stored Teamleader tokens cannot be decrypted with the current PREPAID_SECRET_KEY "
            "(was it changed, or the data directory moved?); restore the old key or run "
            "`prepaid auth login` to connect again"
        )


@dataclass(frozen=True)
class TokenPair:
    """What the token endpoint returned, with `expires_at` already computed from `expires_in`."""

    access_token: str
    refresh_token: str
    expires_at: int
    scope: str | None = None


@dataclass(frozen=True)
class StoredConnection:
    """The stored connection: tokens (decrypted), who authorised it, and whether it still works."""

    access_token: str
    refresh_token: str
    expires_at: int
    version: int
    status: str
    status_reason: str | None
    account_id: str | None
    user_id: str | None
    user_name: str | None
    user_email: str | None
    scope: str | None
    connected_at: datetime
    refreshed_at: datetime | None

    @property
    def needs_reauthorization(self) -> bool:
        """True when a refresh was refused and a person must log in again."""
        return self.status == NEEDS_REAUTHORIZATION

    def expires_within(self, now: float, seconds: float) -> bool:
        """True when the access token is expired, or will be within `seconds` of `now` (epoch)."""
        return self.expires_at - seconds <= now

    def refresh_due(self, now: float, leeway: float) -> bool:
        """True when the access token should be refreshed before it is used: it is expired, or
        within `leeway` of expiry, the leeway capped at a quarter of the token's lifetime.
        Teamleader's hour-long tokens get the whole leeway; a short-lived one (a sandbox's 2 s) is
        refreshed once as it nears its expiry, where a leeway longer than its lifetime would have
        it refreshed before every call."""
        issued = (self.refreshed_at or self.connected_at).timestamp()
        lifetime = max(self.expires_at - issued, 0.0)
        return self.expires_within(now, min(leeway, lifetime / 4))


class TokenStore:
    """Reads and writes the single Teamleader connection row."""

    def __init__(self, engine: Engine, key: bytes) -> None:
        self._engine = engine
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> TokenStore:
        """A store whose key is derived from `PREPAID_SECRET_KEY` for the purpose "tokens"."""
        return cls(engine, settings.derived_key("tokens"))

    def load(self) -> StoredConnection | None:
        """The stored connection, or None when nobody has logged in (or after logout)."""
        with snapshot(self._engine) as conn:
            return self._read(conn)

    def save_authorized(self, pair: TokenPair, now: datetime) -> StoredConnection:
        """Store the pair from an authorization-code exchange (authlib does not call a hook for it)."""
        values = self._token_values(pair) | {
            "status": ACTIVE,
            "status_reason": None,
            "connected_at": now,
            "refreshed_at": None,
        }
        with self._engine.begin() as conn:
            current = conn.execute(
                select(teamleader_connection.c.version).where(teamleader_connection.c.id == _ROW_ID)
            ).scalar_one_or_none()
            if current is None:
                conn.execute(insert(teamleader_connection).values(id=_ROW_ID, version=1, **values))
            else:
                conn.execute(
                    update(teamleader_connection)
                    .where(teamleader_connection.c.id == _ROW_ID)
                    .values(version=teamleader_connection.c.version + 1, **values)
                )
            stored = self._read(conn)
        assert stored is not None
        return stored

    def save_identity(self, account_id: str, user_id: str, user_name: str, user_email: str | None) -> None:
        """Remember which account and user the tokens belong to (from `users.me`)."""
        with self._engine.begin() as conn:
            conn.execute(
                update(teamleader_connection)
                .where(teamleader_connection.c.id == _ROW_ID)
                .values(account_id=account_id, user_id=user_id, user_name=user_name, user_email=user_email)
            )

    @contextmanager
    def refresh_lock(self, clock: Clock, timeout: float) -> Iterator[None]:
        """Held by one refresh at a time across threads and processes; no transaction stays open."""
        with held_lock(self._engine, REFRESH_LOCK, clock=clock, timeout=timeout):
            yield

    def save_rotated(self, expected_version: int, pair: TokenPair, now: datetime) -> StoredConnection | None:
        """Store the refreshed pair unless the row changed since `expected_version` (a login or a
        logout meanwhile); the stored connection, or None when the swap found another version."""
        with self._engine.begin() as conn:
            result = conn.execute(
                update(teamleader_connection)
                .where(
                    teamleader_connection.c.id == _ROW_ID,
                    teamleader_connection.c.version == expected_version,
                )
                .values(
                    version=teamleader_connection.c.version + 1, refreshed_at=now, **self._token_values(pair)
                )
            )
            if result.rowcount != 1:
                return None
            return self._read(conn)

    def mark_needs_reauthorization(self, version: int, reason: str) -> bool:
        """Flag the connection unless it changed since `version` (someone logged in meanwhile)."""
        with self._engine.begin() as conn:
            result = conn.execute(
                update(teamleader_connection)
                .where(teamleader_connection.c.id == _ROW_ID, teamleader_connection.c.version == version)
                .values(status=NEEDS_REAUTHORIZATION, status_reason=reason[:500])
            )
        return result.rowcount == 1

    def forget(self) -> bool:
        """Delete the tokens (logout); False when there were none."""
        with self._engine.begin() as conn:
            result = conn.execute(delete(teamleader_connection).where(teamleader_connection.c.id == _ROW_ID))
        return result.rowcount == 1

    def _token_values(self, pair: TokenPair) -> dict[str, Any]:
        register_secret(pair.access_token)
        register_secret(pair.refresh_token)
        return {
            "access_token": self._fernet.encrypt(pair.access_token.encode()),
            "refresh_token": self._fernet.encrypt(pair.refresh_token.encode()),
            "expires_at": int(pair.expires_at),
            "scope": pair.scope,
        }

    def _decrypt(self, value: bytes) -> str:
        try:
            text = self._fernet.decrypt(bytes(value)).decode()
        except InvalidToken:
            raise UnreadableTokens() from None
        register_secret(text)
        return text

    def _read(self, conn: Connection) -> StoredConnection | None:
        query = select(teamleader_connection).where(teamleader_connection.c.id == _ROW_ID)
        row = conn.execute(query).mappings().first()
        if row is None:
            return None
        return StoredConnection(
            access_token=self._decrypt(row["access_token"]),
            refresh_token=self._decrypt(row["refresh_token"]),
            expires_at=int(row["expires_at"]),
            version=int(row["version"]),
            status=row["status"],
            status_reason=row["status_reason"],
            account_id=row["account_id"],
            user_id=row["user_id"],
            user_name=row["user_name"],
            user_email=row["user_email"],
            scope=row["scope"],
            connected_at=row["connected_at"],
            refreshed_at=row["refreshed_at"],
        )
