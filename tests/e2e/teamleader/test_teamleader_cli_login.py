"""End to end: `prepaid auth login --no-browser` against the sandbox, then status and logout.

The CLI runs as a subprocess with PREPAID_* pointing at the sandbox and a temporary data dir. The
test plays the browser: it fetches the printed authorize URL, which the sandbox answers with a
redirect carrying `code` and `state`, and pastes that Location into the CLI's standard input.
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

from connector.sandbox.server import SandboxServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def cli_env(sandbox: SandboxServer, tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREPAID_")}
    return env | {
        "PREPAID_DATA_DIR": str(tmp_path / "data"),
        "PREPAID_SECRET_KEY": "e2e-secret-key-0123456789abcdef0123456789",
        "PREPAID_TEAMLEADER_API_URL": sandbox.url,
        "PREPAID_TEAMLEADER_AUTH_URL": sandbox.url,
        "PREPAID_TEAMLEADER_CLIENT_ID": sandbox.client_id,
        "PREPAID_TEAMLEADER_CLIENT_SECRET": sandbox.client_secret,
        "PREPAID_TEAMLEADER_REDIRECT_URI": "http://127.0.0.1:9/callback",
        "PREPAID_LOG_FORMAT": "json",
    }


def prepaid(env: dict[str, str], cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def login(
    env: dict[str, str], cwd: Path, sandbox: SandboxServer, tamper: bool = False
) -> subprocess.CompletedProcess[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", "auth", "login", "--no-browser"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )
    assert process.stdout is not None and process.stdin is not None
    lines: list[str] = []
    while not (lines and lines[-1].startswith(f"{sandbox.url}/oauth2/authorize")):
        line = process.stdout.readline()
        assert line, f"no authorize URL printed: {lines}"
        lines.append(line.strip())
    redirect = httpx.get(lines[-1], follow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    location = redirect.headers["location"]
    if tamper:
        location = location.replace("state=", "state=x")
    out, err = process.communicate(location + "\n", timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, "\n".join(lines) + out, err)


def test_login_with_pasted_url_then_status_shows_the_account(
    sandbox: SandboxServer, cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = login(cli_env, tmp_path, sandbox)
    assert result.returncode == 0, result.stderr
    account_id = sandbox.state.account_id
    assert f"Connected to Teamleader account {account_id}" in result.stdout

    status = prepaid(cli_env, tmp_path, "auth", "status", "--json")
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert shown["connected"] is True and shown["status"] == "active"
    assert shown["account_id"] == account_id and shown["user_id"]
    assert shown["token_expired"] is False and shown["last_refresh_at"] is None

    readable = prepaid(cli_env, tmp_path, "auth", "status")
    assert readable.returncode == 0, readable.stderr
    assert f"Account: {account_id}" in readable.stdout and "Status: active" in readable.stdout

    logout = prepaid(cli_env, tmp_path, "auth", "logout")
    assert logout.returncode == 0
    after = json.loads(prepaid(cli_env, tmp_path, "auth", "status", "--json").stdout)
    assert after == {"connected": False, "status": "not_connected"}


def test_a_redirect_with_another_state_is_refused_in_one_line(
    sandbox: SandboxServer, cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = login(cli_env, tmp_path, sandbox, tamper=True)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "state" in errors[0]
    assert json.loads(prepaid(cli_env, tmp_path, "auth", "status", "--json").stdout)["connected"] is False
