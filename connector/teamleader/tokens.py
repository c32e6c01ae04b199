"""The access token every API call uses, refreshed single-flight across threads and processes.

Why not authlib's auto-refresh: see `connector.teamleader.oauth`. Here, the valid token lives in
memory; when it nears its expiry (or a call got a 401) one thread takes the process's lock, then
the refresh lock shared by every process (`TokenStore.refresh_lock`: an advisory lock or a file
lock, never a database transaction), and re-reads the row. If another process has rotated
meanwhile, the stored pair is adopted; only otherwise is the refresh token spent, and the new pair
is saved (compare-and-swap on the row's version) before the lock is released and the token is
used. So any number of threads in any number of processes make exactly one refresh call per
expiry, a refresh token that Teamleader already rotated is never sent again, and the refresh call
never runs inside a database transaction: a caller that is itself inside one (which it should not
be) is not made to wait for its own lock while Teamleader answers.

A refused refresh (400/401, `invalid_grant`, revoked access) may mean another environment rotated
the pair: the store is read once more, and only if nothing newer is there is the connection marked
`needs_reauthorization`; `ReauthorizationRequired` then names `prepaid auth login`.
"""

from __future__ import annotations

import threading

from connector.clock import Clock
from connector.logging import get_logger
from connector.storage.token_store import StoredConnection, TokenStore
from connector.teamleader.errors import ReauthorizationRequired, TokenRefused
from connector.teamleader.oauth import TeamleaderOAuth

__all__ = ["AccessTokens"]

# Teamleader's access tokens live about an hour; refresh a few minutes early so that a long
# request never starts with a token that expires on the way.
REFRESH_LEEWAY_SECONDS = 300.0
# How long a caller waits for another process's refresh: its token request times out after 10 s
# (connect 5 s), so a holder that is not hung has finished well within this.
REFRESH_LOCK_WAIT_SECONDS = 30.0
_log = get_logger(__name__)


class AccessTokens:
    """Hands out a usable access token; one instance per process, shared by all threads."""

    def __init__(
        self,
        store: TokenStore,
        oauth: TeamleaderOAuth,
        clock: Clock,
        leeway: float = REFRESH_LEEWAY_SECONDS,
    ) -> None:
        self._store = store
        self._oauth = oauth
        self._clock = clock
        self._leeway = leeway
        self._lock = threading.Lock()
        self._cached: StoredConnection | None = None

    def current(self) -> StoredConnection:
        """A connection whose access token is valid for at least the leeway."""
        cached = self._cached
        if cached is None:
            with self._lock:
                cached = self._cached or self._load()
        if self._due(cached, None):
            return self._refresh(cached, forced=False)
        return cached

    def refresh_if_expiring(self, within: float) -> bool:
        """Refresh now when the token expires within `within` seconds (the scheduled keep-alive,
        which also finds a revoked connection before a user needs it); True when the token is now a
        new one (refreshed here, or by another process meanwhile)."""
        with self._lock:
            self._cached = None
            stored = self._load()
        if not stored.expires_within(self._clock.time(), within):
            return False
        return self._refresh(stored, forced=False, window=within).version != stored.version

    def after_unauthorized(self, rejected: StoredConnection) -> StoredConnection:
        """After a 401 with `rejected`: adopt what another process stored, or refresh once."""
        return self._refresh(rejected, forced=True)

    def forget_cached(self) -> None:
        """Drop the in-memory token (after login or logout in this process)."""
        with self._lock:
            self._cached = None

    def _load(self) -> StoredConnection:
        stored = self._store.load()
        if stored is None:
            raise ReauthorizationRequired("no Teamleader connection is stored")
        if stored.needs_reauthorization:
            raise ReauthorizationRequired(stored.status_reason or "the last refresh was refused")
        self._cached = stored
        return stored

    def _due(self, stored: StoredConnection, window: float | None) -> bool:
        """Whether `stored` must be refreshed: near expiry by the leeway rule, or within the
        explicit `window` of the keep-alive."""
        now = self._clock.time()
        return stored.refresh_due(now, self._leeway) if window is None else stored.expires_within(now, window)

    def _usable(
        self, candidate: StoredConnection | None, stale: StoredConnection, window: float | None
    ) -> bool:
        return (
            candidate is not None
            and candidate.version != stale.version
            and candidate.access_token != stale.access_token
            and not candidate.needs_reauthorization
            and not self._due(candidate, window)
        )

    def _refresh(
        self, stale: StoredConnection, *, forced: bool, window: float | None = None
    ) -> StoredConnection:
        """The connection to use instead of `stale`; `window` None means the leeway rule."""
        with self._lock:
            if self._usable(self._cached, stale, window):
                assert self._cached is not None
                return self._cached
            refused = self._refresh_locked(stale, forced=forced, window=window)
            if not isinstance(refused, TokenRefused):
                return refused
            again = self._store.load()
            if again is not None and again.version != stale.version and not again.needs_reauthorization:
                if self._usable(again, stale, window):
                    self._cached = again
                    return again
                retried = self._refresh_locked(again, forced=True, window=window)
                if not isinstance(retried, TokenRefused):
                    return retried
                refused, stale = retried, again
            reason = f"refresh refused by Teamleader: {refused.detail}"
            if not self._store.mark_needs_reauthorization(stale.version, reason):
                newer = self._store.load()
                if newer is not None and self._usable(newer, stale, window):
                    self._cached = newer
                    return newer
            self._cached = None
            _log.error("teamleader.token.refresh_refused", status=refused.status, detail=refused.detail)
            raise ReauthorizationRequired(reason)

    def _refresh_locked(
        self, stale: StoredConnection, *, forced: bool, window: float | None
    ) -> StoredConnection | TokenRefused:
        """Refresh under the cross-process lock; returns the saved connection, or the refusal."""
        with self._store.refresh_lock(self._clock, REFRESH_LOCK_WAIT_SECONDS):
            row = self._store.load()
            if row is None:
                raise ReauthorizationRequired("no Teamleader connection is stored")
            if row.needs_reauthorization:
                raise ReauthorizationRequired(row.status_reason or "the last refresh was refused")
            if self._usable(row, stale, window):
                self._cached = row
                _log.debug("teamleader.token.adopted", version=row.version)
                return row
            if not forced and not self._due(row, window):
                self._cached = row
                return row
            try:
                pair = self._oauth.refresh(row.refresh_token)
            except TokenRefused as refusal:
                return refusal
            rotated = self._store.save_rotated(row.version, pair, now=self._clock.now())
        if rotated is None:
            return self._after_lost_swap(row)
        self._cached = rotated
        _log.info("teamleader.token.refreshed", version=rotated.version, expires_at=rotated.expires_at)
        return rotated

    def _after_lost_swap(self, spent: StoredConnection) -> StoredConnection:
        """The row changed under the lock: a login (or logout) happened while the refresh was out.
        The login's pair is the one to use; the pair just refreshed is dropped."""
        newer = self._store.load()
        if newer is None:
            raise ReauthorizationRequired("the Teamleader connection was removed (logout) during a refresh")
        if newer.needs_reauthorization:
            raise ReauthorizationRequired(newer.status_reason or "the last refresh was refused")
        _log.info("teamleader.token.login_meanwhile", spent_version=spent.version, version=newer.version)
        self._cached = newer
        return newer
