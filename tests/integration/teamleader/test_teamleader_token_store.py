"""The token store on SQLite and PostgreSQL: encrypted at rest, integer expiry, CAS, forget.

Every save is stamped at `PINNED_AT`; the pairs expire in 2030, after it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from support.clock import PINNED_AT

from connector.settings import Settings
from connector.storage.tables.accounts import teamleader_connection
from connector.storage.token_store import NEEDS_REAUTHORIZATION, TokenPair, TokenStore, UnreadableTokens

PAIR = TokenPair("access-token-aaaaaaaa", "refresh-token-bbbbbbbb", 1_900_000_000, "companies")


def test_tokens_are_encrypted_at_rest_and_read_back(settings: Settings, engine: Engine) -> None:
    store = TokenStore.from_settings(settings, engine)
    stored = store.save_authorized(PAIR, now=PINNED_AT)
    with engine.connect() as conn:
        raw = conn.execute(select(teamleader_connection)).mappings().one()
    assert PAIR.access_token.encode() not in bytes(raw["access_token"])
    assert PAIR.refresh_token.encode() not in bytes(raw["refresh_token"])
    assert raw["expires_at"] == 1_900_000_000 and isinstance(raw["expires_at"], int)
    assert (stored.access_token, stored.refresh_token, stored.version, stored.status) == (
        PAIR.access_token,
        PAIR.refresh_token,
        1,
        "active",
    )


def test_rotation_bumps_version_and_identity_is_kept(settings: Settings, engine: Engine) -> None:
    store = TokenStore.from_settings(settings, engine)
    store.save_authorized(PAIR, now=PINNED_AT)
    store.save_identity("acc-1", "user-1", "Ada Peeters", "ada@example.test")
    rotated = TokenPair("access-token-cccccccc", "refresh-token-dddddddd", 1_900_003_600)
    assert store.save_rotated(1, rotated, now=PINNED_AT) is not None
    assert store.save_rotated(1, rotated, now=PINNED_AT) is None
    stored = store.load()
    assert stored is not None
    assert (stored.version, stored.refresh_token, stored.account_id) == (2, "refresh-token-dddddddd", "acc-1")
    assert stored.refreshed_at is not None


def test_needs_reauthorization_is_not_set_over_a_newer_login(settings: Settings, engine: Engine) -> None:
    store = TokenStore.from_settings(settings, engine)
    store.save_authorized(PAIR, now=PINNED_AT)
    store.save_authorized(PAIR, now=PINNED_AT)
    assert store.mark_needs_reauthorization(1, "refused") is False
    assert store.mark_needs_reauthorization(2, "refused") is True
    stored = store.load()
    assert stored is not None and stored.status == NEEDS_REAUTHORIZATION and stored.status_reason == "refused"
    assert store.save_authorized(PAIR, now=PINNED_AT).status == "active"


def test_forget_removes_the_tokens(settings: Settings, engine: Engine) -> None:
    store = TokenStore.from_settings(settings, engine)
    store.save_authorized(PAIR, now=PINNED_AT)
    assert store.forget() is True
    assert store.load() is None
    assert store.forget() is False


def test_another_secret_key_cannot_read_the_tokens(settings: Settings, engine: Engine) -> None:
    TokenStore.from_settings(settings, engine).save_authorized(PAIR, now=PINNED_AT)
    other = settings.model_copy(
        update={"secret_key": settings.secret_key.__class__("another-key-000000000000000000")}
    )
    with pytest.raises(UnreadableTokens, match="PREPAID_SECRET_KEY"):
        TokenStore.from_settings(other, engine).load()
