"""End-to-end top-up fixtures: the product's client on real sockets to a sandbox, budgets on its data.

`topups(...)` starts a sandbox, connects a product container to it by OAuth (e2e conftest),
builds the Teamleader client with short socket timeouts (so an injected latency is a timeout in
well under a second), and stores budgets through the budgets service whose customers (with the
sandbox's names), departments and tax rates exist in that sandbox. The worker runs on the ports
`Container.topup_worker` wires (`StoredBudgets`, `LedgerCredits`), so credits land in the
ledger. Invoices are counted from the sandbox's own state, credits from the ledger.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from connector.billing import Budget
from connector.billing.budget import DEFAULT_TIME_ZONE
from connector.bootstrap import Container
from connector.budgets.invoicing_ports import LedgerCredits, StoredBudgets
from connector.invoicing import TopupWorker, plan_topup
from connector.invoicing.teamleader_api import TeamleaderInvoices
from connector.sandbox.server import SandboxServer
from connector.teamleader import TeamleaderClient, build_client

_NAME = "invoicing_fakes"
FAKES = Path(__file__).resolve().parents[2] / "unit" / "invoicing" / f"{_NAME}.py"

if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, FAKES)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

from invoicing_fakes import make_budget, store_budgets  # noqa: E402

WRITES = ("/invoices.draft", "/invoices.book")
WRITE_READ_TIMEOUT = 0.1


class ShortTimeouts(httpx.BaseTransport):
    """Real sockets; the invoice writes get a read timeout that an injected latency exceeds."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(WRITES):
            request.extensions["timeout"] = {
                "connect": 2.0,
                "read": WRITE_READ_TIMEOUT,
                "write": 2.0,
                "pool": 5.0,
            }
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


@dataclass
class TopupStack:
    sandbox: SandboxServer
    container: Container
    client: TeamleaderClient
    budgets: dict[str, Budget]
    customer_names: dict[str, str]
    reference: dict[str, str] = field(default_factory=dict)

    def worker(self, **options: Any) -> TopupWorker:
        """A worker on the production ports and the short-timeout client; no backoff between tries,
        and a draft whose answer timed out is looked up and resent at once."""
        defaults: dict[str, Any] = {
            "backoff": timedelta(0),
            "max_attempts": 100,
            "resend_after": timedelta(0),
        }
        return TopupWorker(
            self.container.engine,
            TeamleaderInvoices(self.client),
            StoredBudgets(),
            LedgerCredits(),
            clock=self.container.clock.now,
            **{**defaults, **options},
        )

    def plan(
        self, budget_id: str, cents: int = 150_000, seconds: int | None = None, kind: str = "topup"
    ) -> str:
        now = self.container.clock.now()
        last_month = f"{now.astimezone(ZoneInfo(DEFAULT_TIME_ZONE)).replace(day=1) - timedelta(days=1):%Y-%m}"
        with self.container.engine.begin() as conn:
            topup_id = plan_topup(
                conn,
                budget_id=budget_id,
                amount_cents=cents,
                quantity_seconds=seconds,
                reason="threshold crossed" if kind == "topup" else f"overage of {last_month}",
                kind=kind,
                period_key=last_month if kind == "overage" else None,
                now=now,
            )
        assert topup_id is not None
        return topup_id

    def marked_invoices(self) -> list[Any]:
        with self.sandbox.state.lock:
            return [
                invoice
                for invoice in self.sandbox.state.invoices.values()
                if (invoice.purchase_order_number or "").startswith("PP-")
            ]

    def faults(self, *rules: dict[str, Any], seed: int = 11) -> None:
        httpx.post(
            f"{self.sandbox.url}/_sandbox/faults", json={"rules": list(rules), "seed": seed}, timeout=5
        )

    def fired(self) -> dict[tuple[str, str], int]:
        rules = httpx.get(f"{self.sandbox.url}/_sandbox/faults", timeout=5).json()["rules"]
        return {(rule["endpoint"], rule["kind"]): rule["fired"] for rule in rules}

    def clear_faults(self) -> None:
        httpx.delete(f"{self.sandbox.url}/_sandbox/faults", timeout=5)


@pytest.fixture
def topups(
    start_sandbox: Callable[..., SandboxServer], connect_stack: Callable[..., Container]
) -> Iterator[Callable[..., TopupStack]]:
    clients: list[TeamleaderClient] = []

    def build(budgets: int = 1, **budget_options: Any) -> TopupStack:
        sandbox = start_sandbox(companies=max(budgets, 5), contacts=5, entries=10)
        container = connect_stack(sandbox)
        client = build_client(
            container.settings, container.engine, api_transport=ShortTimeouts(), clock=container.clock
        )
        clients.append(client)
        with sandbox.state.lock:
            names = {company.id: company.name for company in sandbox.state.companies.values()}
            rate = next(iter(sorted(sandbox.state.tax_rates.values(), key=lambda r: r.id)))
        companies = sorted(names)
        reference = {"department_id": rate.department_id, "tax_rate_id": rate.id}
        made = [
            make_budget(f"b{i}", customer_id=companies[i % len(companies)], **reference, **budget_options)
            for i in range(budgets)
        ]
        store_budgets(container.engine, *made, names=names, clock=container.clock.now)
        return TopupStack(sandbox, container, client, {b.id: b for b in made}, names, reference)

    yield build
    for client in clients:
        client.close()
