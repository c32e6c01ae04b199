"""SIGKILL at every state of the machine, then a restart: exactly one invoice and one credit each time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from invoicing_fakes import credit_lines

from connector.invoicing import CHECKPOINTS, TopupStatus
from connector.invoicing.outbox import load

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WORKER = Path(__file__).with_name("invoicing_kill_worker.py")


def _environment(stack: Any, kill_at: str) -> dict[str, str]:
    settings = stack.container.settings
    budget = stack.budgets.budgets["b0"]
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
        "KILL_BUDGET": json.dumps({"budget_id": "b0", "customer_id": budget.customer.id, **stack.reference}),
    }


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("kill_at", CHECKPOINTS)
@pytest.mark.parametrize("kind", ["topup", "overage"])
def test_a_worker_killed_at_each_state_and_restarted_makes_one_invoice_and_one_credit(
    topups: Any, kill_at: str, kind: str
) -> None:
    """Threshold top-ups and period overage invoices (issue 11) share the machine and its recovery."""
    stack = topups()
    topup_id = stack.plan("b0", kind=kind)
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
    [credit] = credit_lines(stack.container.engine)
    assert credit["invoice_id"] == invoice.id
