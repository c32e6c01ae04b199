"""The connected Teamleader account and its OAuth tokens (encrypted at rest).

One row per install (`id = 1`). `version` grows with every token rotation, so a refresh can be
saved with compare-and-swap; `status` says whether a person must authorise again.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, String, Table

from connector.storage.tables.base import UTCDateTime, metadata

__all__ = ["teamleader_connection"]

teamleader_connection = Table(
    "teamleader_connection",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", String(64)),
    Column("user_id", String(64)),
    Column("user_name", String(200)),
    Column("user_email", String(320)),
    Column("access_token", LargeBinary, nullable=False),
    Column("refresh_token", LargeBinary, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("scope", String(1000)),
    Column("version", Integer, nullable=False, default=1),
    Column("status", String(32), nullable=False, default="active"),
    Column("status_reason", String(500)),
    Column("connected_at", UTCDateTime, nullable=False),
    Column("refreshed_at", UTCDateTime),
)
