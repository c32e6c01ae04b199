"""Running the sandbox on a real socket: in a background thread, or in the foreground.

`SandboxServer` is the test and demo entry point: it binds 127.0.0.1 on a free port before
uvicorn starts (so `.url` is known at once), serves from a daemon thread, and stops on exit:

    with SandboxServer() as sandbox:
        client = TeamleaderClient(base_url=sandbox.url, ...)
        sandbox.state.companies ...

`serve()` runs in the foreground until Ctrl-C, for `prepaid sandbox` and `python -m connector.sandbox`.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from connector.sandbox.app import SandboxApp
from connector.sandbox.clock import Clock
from connector.sandbox.config import SandboxConfig
from connector.sandbox.core import Sandbox
from connector.sandbox.state import SandboxState

__all__ = ["SandboxServer", "SandboxStartError", "bind", "serve"]

_START_TIMEOUT = 10.0


class SandboxStartError(RuntimeError):
    """The sandbox server did not come up; the message says what to check."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one.

    The protocol is named explicitly: asyncio only sets TCP_NODELAY on sockets whose `proto` is
    IPPROTO_TCP, and without it every answer waits ~40 ms for a delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SandboxStartError(f"cannot listen on {host}:{port} ({exc}); pick another --port or 0") from exc
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(app: SandboxApp, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")


class SandboxServer:
    """A sandbox on 127.0.0.1 in a background thread; use as a context manager."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
    ) -> None:
        self.sandbox = Sandbox(config, clock=clock)
        self._host = host
        self._socket = bind(host, port)
        self.port: int = self._socket.getsockname()[1]
        self._server = uvicorn.Server(_uvicorn_config(SandboxApp(self.sandbox), host, self.port))
        self._thread = threading.Thread(target=self._run, name="sandbox-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def client_id(self) -> str:
        return self.sandbox.config.client_id

    @property
    def client_secret(self) -> str:
        return self.sandbox.config.client_secret

    @property
    def state(self) -> SandboxState:
        """The live account data; hold `state.lock` while reading it from the test thread."""
        return self.sandbox.state

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SandboxStartError(
                    f"the sandbox did not start on {self.url} within {_START_TIMEOUT:.0f} s"
                )
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=_START_TIMEOUT)
        self._socket.close()
        self.sandbox.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def serve(sandbox: Sandbox, sock: socket.socket) -> None:
    """Serves `sandbox` on an already bound socket until interrupted (Ctrl-C)."""
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(_uvicorn_config(SandboxApp(sandbox), host, port))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        sandbox.close()
