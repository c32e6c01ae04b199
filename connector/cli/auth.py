"""`prepaid auth`: connect this install to a Teamleader account, show the connection, disconnect.

`login` runs the OAuth2 authorization-code flow: it prints the authorize URL (and opens a browser
when there is one), then either receives the redirect itself on a local redirect URI or reads the
redirected URL from standard input (`--no-browser` forces that), checks `state`, stores the
tokens encrypted, and calls `users.me` to show which account and user were connected.
"""

from __future__ import annotations

import secrets
import sys
import webbrowser
from datetime import UTC, datetime
from typing import Any

import typer

from connector.cli.context import get_container
from connector.cli.hints import missing_database
from connector.cli.output import console, err_console, print_json
from connector.settings import load_settings
from connector.storage.token_store import StoredConnection, TokenStore
from connector.teamleader import TeamleaderOAuth
from connector.teamleader.connect import complete_login
from connector.teamleader.login import LoginFailed, RedirectListener, code_from_redirect, is_local_redirect

__all__ = ["app"]

app = typer.Typer(help="Connect to Teamleader: log in, show the connection, log out.", no_args_is_help=True)


def _listener(redirect_uri: str) -> RedirectListener | None:
    if not is_local_redirect(redirect_uri):
        return None
    try:
        return RedirectListener(redirect_uri)
    except OSError as exc:
        err_console.print(f"cannot listen on {redirect_uri} ({exc.strerror}); paste the URL instead")
        return None


def _pasted_url() -> str:
    err_console.print("After approving, paste the full URL your browser was sent to, then press Enter:")
    line = sys.stdin.readline()
    if not line.strip():
        raise LoginFailed("no redirected URL was given on standard input; run `prepaid auth login` again")
    return line


@app.command("login")
def login_command(
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Do not open a browser or listen; paste the redirected URL."
    ),
    timeout: int = typer.Option(300, "--timeout", min=10, help="Seconds to wait for the browser redirect."),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print the connection as JSON (as `auth status --json`); the URL goes to stderr.",
    ),
) -> None:
    """Authorise this install at Teamleader and store the tokens (encrypted)."""
    container = get_container()
    settings = container.settings
    oauth = TeamleaderOAuth(settings, clock=container.clock)
    state = secrets.token_urlsafe(24)
    url = oauth.authorization_url(state)
    listener = None if no_browser else _listener(settings.teamleader_redirect_uri)
    print(
        f"Open this URL to authorise the connector at Teamleader:\n{url}",
        flush=True,
        file=sys.stderr if as_json else sys.stdout,
    )
    if listener is not None:
        webbrowser.open(url)
        err_console.print(f"Waiting for Teamleader to redirect to {settings.teamleader_redirect_uri} ...")
        redirected = listener.wait(timeout)
        if redirected is None:
            raise LoginFailed(
                f"no redirect arrived within {timeout} s; run `prepaid auth login --no-browser`"
            )
    else:
        redirected = _pasted_url()
    code = code_from_redirect(redirected, state)
    connected = complete_login(settings, container.engine, oauth, code, clock=container.clock)
    me, previous = connected.me, connected.previous
    if previous is not None and previous.account_id not in (None, me.account_id):
        err_console.print(
            f"warning: this replaces the connection to account {previous.account_id}; "
            "data synced from that account stays in the database"
        )
    if as_json:
        print_json(_describe(TokenStore.from_settings(settings, container.engine).load()))
        return
    console.print(
        f"Connected to Teamleader account {me.account_id} as {me.name or me.id} ({me.email or 'no e-mail'})"
    )


def _describe(stored: StoredConnection | None) -> dict[str, Any]:
    if stored is None:
        return {"connected": False, "status": "not_connected"}
    now = get_container().clock.now()
    return {
        "connected": True,
        "status": stored.status,
        "status_reason": stored.status_reason,
        "account_id": stored.account_id,
        "user_id": stored.user_id,
        "user_name": stored.user_name,
        "user_email": stored.user_email,
        "token_expires_at": datetime.fromtimestamp(stored.expires_at, tz=UTC),
        "token_expired": stored.expires_at <= now.timestamp(),
        "connected_at": stored.connected_at,
        "last_refresh_at": stored.refreshed_at,
    }


@app.command("status")
def status_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the connected account and user, token expiry, last refresh and status."""
    if missing_database(load_settings()) is not None:
        status = _describe(None)
    else:
        container = get_container()
        status = _describe(TokenStore.from_settings(container.settings, container.engine).load())
    if as_json:
        print_json(status)
        return
    if not status["connected"]:
        console.print("Not connected to Teamleader: run `prepaid auth login`.")
        return
    console.print(f"Account: {status['account_id']}")
    console.print(f"User: {status['user_name']} ({status['user_email'] or 'no e-mail'})")
    expiry = "expired" if status["token_expired"] else "valid"
    console.print(f"Access token: {expiry} until {status['token_expires_at'].isoformat()}")
    last = status["last_refresh_at"]
    console.print(f"Last refresh: {last.isoformat() if last else 'never'}")
    line = f"Status: {status['status']}"
    if status["status"] != "active":
        line += f" ({status['status_reason']}): run `prepaid auth login`"
    console.print(line)


@app.command("logout")
def logout_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Forget the stored tokens; the connector stops talking to Teamleader until the next login."""
    container = get_container()
    forgotten = TokenStore.from_settings(container.settings, container.engine).forget()
    if as_json:
        print_json({"logged_out": forgotten})
    elif forgotten:
        console.print("Logged out: the Teamleader tokens were deleted.")
    else:
        console.print("Nothing to do: no Teamleader connection was stored.")
