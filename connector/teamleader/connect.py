"""Completing a login: trade the authorization code, store the tokens, and learn who we are.

Shared by `prepaid auth login` and the demo, so both store exactly what the rest of the product
expects: the encrypted token pair first (committed before anything uses it), then the account
and user from one `users.me` call.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from connector.clock import Clock
from connector.settings import Settings
from connector.storage.token_store import StoredConnection, TokenStore, UnreadableTokens
from connector.teamleader.factory import build_client
from connector.teamleader.models import Me
from connector.teamleader.oauth import TeamleaderOAuth

__all__ = ["Connected", "complete_login"]


@dataclass(frozen=True)
class Connected:
    """Who we are connected as, and the connection this login replaced (if any)."""

    me: Me
    previous: StoredConnection | None


def complete_login(
    settings: Settings, engine: Engine, oauth: TeamleaderOAuth, code: str, *, clock: Clock
) -> Connected:
    """Exchange `code`, store the tokens encrypted, and record the account and user."""
    store = TokenStore.from_settings(settings, engine)
    try:
        previous = store.load()
    except UnreadableTokens:
        previous = None
    store.save_authorized(oauth.exchange_code(code), now=clock.now())
    client = build_client(settings, engine, oauth=oauth, clock=clock)
    try:
        me = client.me()
    finally:
        client.close()
    store.save_identity(me.account_id, me.id, me.name, me.email)
    return Connected(me, previous)
