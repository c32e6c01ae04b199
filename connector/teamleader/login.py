"""The interactive half of the authorization-code flow: getting the redirect back from the browser.

Teamleader sends the browser to the redirect URI with `code` and `state` (or `error`). When that
URI is a local address (`http://127.0.0.1:8765/callback`), a one-shot HTTP listener on that host
and port receives it and the login completes by itself; otherwise (a public redirect URI, no
browser, `--no-browser`) the person pastes the URL the browser ended on. Either way the `state`
must match the one sent, or the code is not used (it could be someone else's).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connector.errors import PrepaidError
from connector.logging import register_secret

__all__ = ["LoginFailed", "RedirectListener", "code_from_redirect", "is_local_redirect"]

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_DONE_PAGE = (
    b"<!doctype html><title>Prepaid</title><p>Connected to Teamleader. "
    b"You can close this window and return to the terminal.</p>"
)


class LoginFailed(PrepaidError):
    """The login could not be completed with what was given (wrong URL, state, or a refusal)."""

    exit_code = 2


def is_local_redirect(redirect_uri: str) -> bool:
    """True when the redirect URI points at this machine over plain HTTP (we can listen there)."""
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and (parts.hostname or "") in _LOCAL_HOSTS and parts.port is not None


def code_from_redirect(redirected_url: str, expected_state: str) -> str:
    """The authorization code in the URL Teamleader redirected to, after checking `state`."""
    text = redirected_url.strip()
    query = parse_qs(urlsplit(text).query)
    if "error" in query:
        raise LoginFailed(
            f"Teamleader did not grant access ({query['error'][0]}); run `prepaid auth login` again "
            "and approve the integration"
        )
    code = query.get("code", [""])[0]
    state = query.get("state", [""])[0]
    if not code:
        raise LoginFailed(
            "the URL has no `code` parameter: paste the full address the browser was sent to after "
            "approving, e.g. http://127.0.0.1:8765/callback?code=...&state=..."
        )
    register_secret(code)
    if state != expected_state:
        raise LoginFailed(
            "the `state` in the URL does not match this login (an old or someone else's link); run "
            "`prepaid auth login` again and use the URL it prints"
        )
    return code


class RedirectListener:
    """A one-shot HTTP listener on the redirect URI's host and port."""

    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._path = parts.path or "/"
        self._received: str | None = None
        self._arrived = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if urlsplit(self.path).path != listener._path:
                    self.send_error(404)
                    return
                listener._received = listener._origin + self.path
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(_DONE_PAGE)
                listener._arrived.set()

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the request line carries the authorization code."""

        self._server = HTTPServer((parts.hostname or "127.0.0.1", parts.port or 80), Handler)

    def wait(self, timeout: float) -> str | None:
        """The redirected URL, or None when nothing arrived within `timeout` seconds."""
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        thread.start()
        try:
            self._arrived.wait(timeout)
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join()
        return self._received
