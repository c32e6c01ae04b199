"""SIGKILL at every state of the machine, then a restart: exactly one invoice and one credit each time.

The credit is the ledger's: a threshold top-up is credited exactly once, to the cent, under its
source key; an overage invoice collects money for a line the period close already wrote, so
`LedgerCredits` adds nothing for it and the ledger must stay without a credit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from invoicing_fakes import ledger_credits

from connector.budgets.reports import balance_rows
from connector.invoicing import CHECKPOINTS, TopupStatus
from connector.invoicing.outbox import load

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WORKER = Path(__file__).with_name("invoicing_kill_worker.py")


def _environment(stack: Any, kill_at: str) -> dict[str, str]:
    settings = stack.container.settings
    return {
        **os.environ,
        "PREPAID_DATABASE_URL": settings.resolved_database_url,
        "PREPAID_SECRET_KEY": settings.secret_key.get_secret_value(),
        "PREPAID_TEAMLEADER_API_URL": settings.teamleader_api_url,
        "PREPAID_TEAMLEADER_AUTH_URL": settings.teamleader_auth_url,
        "PREPAID_TEAMLEADER_CLIENT_ID": settings.teamleader_client_id or "",
        "PREPAID_TEAMLEADER_CLIENT_SECRET": settings.teamleader_client_secret.get_secret_value(),
        "PREPAID_DATA_DIR": str(settings.data_dir),
        "PREPAID_LOG_FORMAT": "json",
        "KILL_AT": kill_at,
    }


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("kill_at", CHECKPOINTS)
@pytest.mark.parametrize("kind", ["topup", "overage"])
def test_a_worker_killed_at_each_state_and_restarted_makes_one_invoice_and_credits_once(
    topups: Any, kill_at: str, kind: str
) -> None:
    """Threshold top-ups and period overage invoices (issue 11) share the machine and its recovery."""
    stack = topups()
    topup_id = stack.plan("b0", cents=150_000, kind=kind)
    killed = subprocess.run(
        [sys.executable, str(WORKER)],
        env=_environment(stack, kill_at),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    with stack.container.engine.connect() as conn:
        after_kill = load(conn, topup_id)
    assert after_kill is not None and after_kill.status is not TopupStatus.PLANNED

    stack.worker(name="kill-test-worker").run_once()

    with stack.container.engine.connect() as conn:
        restarted = load(conn, topup_id)
    assert restarted is not None and restarted.status is TopupStatus.CREDITED
    [invoice] = stack.marked_invoices()
    assert invoice.status == "outstanding" and invoice.id == restarted.invoice_id
    [line] = invoice.grouped_lines[0]["line_items"]
    assert (line["quantity"], line["unit_price"]) == (Decimal(1), Decimal("1500.00"))
    credits = [
        (c["budget_id"], c["kind"], c["source_key"], c["invoice_id"], c["amount_cents"], c["reason"])
        for c in ledger_credits(stack.container.engine)
    ]
    with stack.container.engine.connect() as conn:
        [balance] = balance_rows(conn, ["b0"])
    if kind == "topup":
        reason = f"top-up invoice {invoice.invoice_number}"
        assert credits == [("b0", "topup_credit", f"topup:{topup_id}", invoice.id, 150_000, reason)]
        assert balance.settled == 150_000
    else:
        assert credits == [] and balance.settled == 0
