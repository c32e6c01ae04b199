"""The no-network-inside-a-transaction guard catches a product request inside a transaction, in
this process and in a subprocess, and lets the same request pass after the commit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import text
from support.tx_guard_plugin import GuardRecord

from connector.settings import Settings
from connector.storage import create_db_engine
from connector.teamleader import TeamleaderOAuth

TOKEN_URL = "https://auth.test.teamleader/oauth2/access_token"


def _token_endpoint(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, json={"token_type": "Bearer", "expires_in": 3600, "access_token": "a-1", "refresh_token": "r-1"}
    )


def _settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=sqlite_url,
        secret_key="test-secret-key-0123456789abcdef0123456789",
        teamleader_auth_url="https://auth.test.teamleader",
        teamleader_client_id="client-1",
        teamleader_client_secret="client-secret-1",
    )


def test_a_request_inside_a_transaction_is_caught_and_one_after_commit_passes(
    tmp_path: Path, sqlite_url: str, tx_guard_record: GuardRecord
) -> None:
    engine = create_db_engine(sqlite_url)
    oauth = TeamleaderOAuth(_settings(tmp_path, sqlite_url), transport=httpx.MockTransport(_token_endpoint))
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT 1"))
            oauth.refresh("r-0")
        caught = tx_guard_record.take()
        oauth.refresh("r-0")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            conn.commit()
            oauth.refresh("r-0")
        after_commit = tx_guard_record.take()
    finally:
        oauth.close()
        engine.dispose()

    assert len(caught) == 1
    message = caught[0].describe()
    assert f"POST {TOKEN_URL}" in message
    assert f"{__file__}:" in caught[0].transaction_opened_at
    assert "in test_a_request_inside_a_transaction_is_caught" in caught[0].transaction_opened_at
    assert "connector/teamleader/oauth.py" in caught[0].request_stack
    assert after_commit == []


def test_a_request_the_test_itself_makes_inside_a_transaction_is_not_the_products(
    sqlite_url: str, tx_guard_record: GuardRecord
) -> None:
    engine = create_db_engine(sqlite_url)
    with httpx.Client(transport=httpx.MockTransport(_token_endpoint)) as client, engine.begin() as conn:
        conn.execute(text("SELECT 1"))
        client.post(TOKEN_URL)
    engine.dispose()
    assert tx_guard_record.take() == []


_CHILD = """
import httpx, sys
from sqlalchemy import text
from connector.settings import Settings
from connector.storage import create_db_engine
from connector.teamleader import TeamleaderOAuth
url = sys.argv[1]
answer = {"token_type": "Bearer", "expires_in": 3600, "access_token": "a", "refresh_token": "r"}
oauth = TeamleaderOAuth(
    Settings(_env_file=None, database_url=url, secret_key="k" * 40,
             teamleader_auth_url="https://auth.test.teamleader",
             teamleader_client_id="c", teamleader_client_secret="s"),
    transport=httpx.MockTransport(lambda request: httpx.Response(200, json=answer)),
)
engine = create_db_engine(url)
with engine.begin() as conn:
    conn.execute(text("SELECT 1"))
    oauth.refresh("r-0")
oauth.refresh("r-0")
"""


def test_a_subprocess_reports_its_violation_to_the_test(
    sqlite_url: str, tx_guard_record: GuardRecord
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, sqlite_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    caught = tx_guard_record.take()
    assert [violation.request for violation in caught] == [f"POST {TOKEN_URL}"]
    assert "<string>" in caught[0].transaction_opened_at
