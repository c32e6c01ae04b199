"""The web app on a real socket for the browser tests: uvicorn in a thread, and what a test needs
to reach the dashboard over the budgets service."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from sqlalchemy import Engine

from connector.clock import Clock


class BackgroundServer:
    """uvicorn in a thread on port 0; `start()` returns once the socket listens."""

    def __init__(self, app: object, *, port: int = 0, lifespan: str = "off") -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan=lifespan
        )  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, timeout: float = 10.0) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start listening")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def unused_port() -> int:
    """A port the OS just handed out: random, so side-by-side test runs do not all try the same one
    (the demo's own choice starts at PREPAID_PORT, 8000)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class BudgetsSite:
    """The dashboard's address, the database behind it, which the test fills, and the clock that
    the site runs on (the process clock), from which the test takes "now"."""

    url: str
    engine: Engine
    clock: Clock
