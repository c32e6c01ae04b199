"""The demo: the whole story on the embedded default (SQLite + the sandbox), in under two minutes.

It starts a sandbox with seeded agency data, connects through the real OAuth flow, runs a full
sync, applies `config/budgets.example.toml` (auto-subtraction by rules happens there), closes the
ended periods of renewing budgets, lets the top-up worker turn the threshold crossings into invoices in the sandbox, and prints a summary.
Then, unless told otherwise, `prepaid serve` runs with the dashboard, a demo login, and our
webhook registered at the sandbox, so a change made in the sandbox shows within seconds.
Every run starts from a fresh demo database (in `<data dir>/demo`), so it can run any number of times.
"""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from connector.billing import Money
from connector.bootstrap import Container, bootstrap
from connector.budgets.files import apply_file
from connector.budgets.reports import balance_rows, customer_names
from connector.sandbox.config import SandboxConfig, SeedParams
from connector.sandbox.server import SandboxServer
from connector.settings import SECRET_KEY_FILE, Settings, load_settings
from connector.storage.tables.invoicing import topup
from connector.sync.subscription import event_types, webhook_url
from connector.teamleader import TeamleaderOAuth
from connector.teamleader.connect import complete_login
from connector.teamleader.login import code_from_redirect
from connector.web.security import hash_password

__all__ = ["DEMO_PASSWORD", "DEMO_USER", "DemoResult", "prepare", "run_story"]

DEMO_USER = "demo"
DEMO_PASSWORD = "prepaid-demo"  # noqa: S105 - the published login of the local demo
BUDGETS_FILE = Path("config/budgets.example.toml")


@dataclass
class DemoResult:
    """What the story produced, for the summary and the tests."""

    budgets: list[dict[str, Any]]
    invoices: list[dict[str, Any]]
    api_calls: int


def _free_port(preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])


def _fresh(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("prepaid.db*"):
        path.unlink()


def _demo_secret_key(directory: Path) -> str:
    """The demo's key, kept in its data directory so that a later `PREPAID_DATA_DIR=data/demo prepaid
    auth status` reads the demo's tokens instead of generating a key that cannot decrypt them."""
    path = directory / SECRET_KEY_FILE
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare(base: Settings | None = None) -> tuple[SandboxServer, Container]:
    """Start the sandbox and build a container on a fresh demo database that points at it."""
    base = base or load_settings()
    data_dir = base.data_dir / "demo"
    _fresh(data_dir)
    sandbox = SandboxServer(SandboxConfig(seed=SeedParams(seed=1))).start()
    port = _free_port(base.port)
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        secret_key=base.secret_key or _demo_secret_key(data_dir),
        teamleader_api_url=sandbox.url,
        teamleader_auth_url=sandbox.url,
        teamleader_client_id=sandbox.client_id,
        teamleader_client_secret=sandbox.client_secret,
        teamleader_redirect_uri=f"http://127.0.0.1:{port}/callback",
        public_url=f"http://127.0.0.1:{port}",
        port=port,
        admin_user=DEMO_USER,
        admin_password_hash=hash_password(DEMO_PASSWORD),
        log_format=base.log_format,
        log_level="warning",
        worker_interval_seconds=1.0,
    )
    return sandbox, bootstrap(settings)


def _connect(container: Container) -> str:
    oauth = TeamleaderOAuth(container.settings, clock=container.clock)
    state = secrets.token_urlsafe(16)
    approved = httpx.get(oauth.authorization_url(state), follow_redirects=False, timeout=10)
    code = code_from_redirect(approved.headers["location"], state)
    me = complete_login(container.settings, container.engine, oauth, code, clock=container.clock).me
    return f"{me.name or me.id} in account {me.account_id}"


def run_story(
    sandbox: SandboxServer,
    container: Container,
    say: Callable[[str], None],
    progress: Any = None,
) -> DemoResult:
    """Connect, sync, apply the budgets, create the top-up invoices; what happened, for the summary."""
    say(f"Teamleader sandbox at {sandbox.url} (client id {sandbox.client_id})")
    say(f"Connected through OAuth as {_connect(container)}")
    report = container.sync_engine().full(progress)
    entries = next(r for r in report.resources if r.resource == "time_entries")
    say(
        f"Full sync: {entries.fetched} time entries, {sum(r.fetched for r in report.resources)} rows, "
        f"{report.api_calls} API calls"
    )
    changes = apply_file(container.budgets(), BUDGETS_FILE, actor="demo")
    say(f"Applied {BUDGETS_FILE}: " + ", ".join(f"{c.action} {c.budget_id}" for c in changes))
    closed = container.period_closer(actor="demo").close_due()
    if closed.closed:
        say(f"Closed {len(closed.closed)} ended period(s) of renewing budgets (rollover, expiry, next grant)")
    worker = container.topup_worker()
    while worker.run_once():
        pass
    with container.engine.connect() as conn:
        rows = balance_rows(conn)
        names = customer_names(conn, [_customer_key(r.customer) for r in rows])
        ours = conn.execute(
            select(topup.c.invoice_id, topup.c.marker, topup.c.status).where(topup.c.invoice_id.is_not(None))
        ).all()
    state = json.loads(
        httpx.get(f"{sandbox.url}/_sandbox/state?entries=0", timeout=30).text, parse_float=Decimal
    )
    invoices = {i["id"]: i for i in state["invoices"]}
    budgets = [
        {
            "budget": r.name,
            "customer": names.get(_customer_key(r.customer), r.customer),
            "settled": r.format(r.settled),
            "provisional": r.format(r.provisional),
            "threshold": r.format(r.threshold),
            "below_threshold": r.settled < r.threshold,
        }
        for r in rows
    ]
    created = []
    for invoice_id, marker, status in ours:
        invoice = invoices[invoice_id]
        total = invoice["total"]["tax_exclusive"]
        created.append(
            {
                "number": invoice.get("invoice_number") or "(draft)",
                "customer": invoice["invoicee"]["name"],
                "total": Money.of(total["amount"], total["currency"]),
                "status": invoice["status"],
                "topup": status,
                "marker": marker,
            }
        )
    return DemoResult(budgets, created, container.teamleader().api_calls)


def _customer_key(customer: str) -> tuple[str, str]:
    kind, _, identifier = customer.partition(":")
    return kind, identifier


def register_webhooks(container: Container) -> None:
    """Point the sandbox's webhooks at our receiver, so a change there reaches the ledger at once."""
    container.teamleader().register_webhook(webhook_url(container.settings), event_types())
