"""Running `prepaid serve` as a real process against a sandbox, as an operator would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connector.bootstrap import Container

ServeProcess = Callable[..., "Served"]


class Served:
    """One `prepaid serve` process and its address."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_env(stack: Container, port: int, **extra: str) -> dict[str, str]:
    settings = stack.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    env.update(
        {
            "PREPAID_DATABASE_URL": settings.resolved_database_url,
            "PREPAID_DATA_DIR": str(settings.data_dir),
            "PREPAID_SECRET_KEY": settings.secret_key.get_secret_value() if settings.secret_key else "",
            "PREPAID_TEAMLEADER_API_URL": settings.teamleader_api_url,
            "PREPAID_TEAMLEADER_AUTH_URL": settings.teamleader_auth_url,
            "PREPAID_TEAMLEADER_CLIENT_ID": settings.teamleader_client_id or "",
            "PREPAID_TEAMLEADER_CLIENT_SECRET": (
                settings.teamleader_client_secret.get_secret_value()
                if settings.teamleader_client_secret
                else ""
            ),
            "PREPAID_SYNC_SINCE": str(settings.sync_since),
            "PREPAID_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "PREPAID_PORT": str(port),
            "PREPAID_LOG_FORMAT": "json",
            "PREPAID_WORKER_INTERVAL_SECONDS": "0.5",
            "PREPAID_RATE_LIMIT_PER_MINUTE": "100000",
            **extra,
        }
    )
    return env


@pytest.fixture
def start_serve(tmp_path: Path) -> Iterator[ServeProcess]:
    """Start `prepaid serve` processes for a connected stack; killed after the test if still running."""
    started: list[Served] = []

    def start(stack: Container, *, port: int | None = None, **extra: str) -> Served:
        port = port or _free_port()
        log = tmp_path / f"serve-{port}-{len(started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "connector", "serve"],
                env=serve_env(stack, port, **extra),
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        served = Served(process, f"http://127.0.0.1:{port}", log)
        started.append(served)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{served.url}/healthz", timeout=1).status_code == 200:
                    return served
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"prepaid serve did not start: {log.read_text()}")

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(10)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `condition` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
