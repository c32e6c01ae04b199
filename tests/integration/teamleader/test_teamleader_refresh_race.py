"""Single-flight refresh across processes: 2 processes x 20 threads, one database, one refresh.

Real sockets against the sandbox (its control API counts token-endpoint requests), real
subprocesses, and the refresh lock that is not a transaction: an advisory lock on PostgreSQL, a
file lock beside the SQLite database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from support.clock import process_now

from connector.sandbox.server import SandboxServer
from connector.settings import Settings
from connector.storage.token_store import TokenPair, TokenStore

WORKER = Path(__file__).with_name("teamleader_race_worker.py")
SECRET_KEY = "race-secret-key-0123456789abcdef0123456789"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.mark.slow
def test_forty_callers_in_two_processes_make_one_refresh(
    db_url: str, engine: Engine, sandbox: SandboxServer, tmp_path: Path
) -> None:
    control = httpx.Client(base_url=sandbox.url, timeout=10)
    issued = control.post("/_sandbox/tokens").json()
    settings = Settings(_env_file=None, database_url=db_url, secret_key=SECRET_KEY, data_dir=tmp_path)  # type: ignore[call-arg]
    store = TokenStore.from_settings(settings, engine)
    # The workers and the sandbox run on the process clock: the token expired a minute before it.
    now = process_now()
    expired = int(now.timestamp()) - 60
    store.save_authorized(TokenPair(issued["access_token"], issued["refresh_token"], expired), now=now)
    assert control.delete("/_sandbox/requests").status_code == 204

    env = {
        **os.environ,
        "RACE_DATABASE_URL": db_url,
        "RACE_SECRET_KEY": SECRET_KEY,
        "RACE_SANDBOX_URL": sandbox.url,
        "RACE_CLIENT_ID": sandbox.client_id,
        "RACE_CLIENT_SECRET": sandbox.client_secret,
    }
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    outcomes: list[str] = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        outcomes += json.loads(out.strip().splitlines()[-1])

    account_id = sandbox.state.account_id
    assert outcomes == [account_id] * 40
    counts = control.get("/_sandbox/requests").json()["counts"]
    assert counts.get("oauth2.access_token") == 1
    assert counts.get("users.me") == 40
    stored = store.load()
    assert stored is not None and stored.version == 2 and stored.refresh_token != issued["refresh_token"]
    control.close()
