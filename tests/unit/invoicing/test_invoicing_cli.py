"""`prepaid topups list|retry|cancel` as a user runs them: JSON output, one-line errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine
from support.clock import PINNED_AT

from connector.invoicing import plan_topup


def _cli(*args: str, database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    env = {
        **clean,
        "PREPAID_DATABASE_URL": database_url,
        "PREPAID_DATA_DIR": str(tmp_path),
        "PREPAID_LOG_FORMAT": "json",
    }
    return subprocess.run(
        [sys.executable, "-m", "connector", "topups", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_list_retry_and_cancel_from_the_command_line(db: Engine, sqlite_url: str, tmp_path: Path) -> None:
    """The top-up is planned at `PINNED_AT`; listing, cancelling and refusing to retry it do not
    depend on the day the commands run on (their own process clock)."""
    with db.begin() as conn:
        topup_id = plan_topup(
            conn,
            budget_id="b1",
            amount_cents=123_456,
            quantity_seconds=None,
            reason="crossed",
            now=PINNED_AT,
        )
    listed = _cli("list", "--json", "--budget", "b1", database_url=sqlite_url, tmp_path=tmp_path)
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert (row["id"], row["status"], row["amount_cents"]) == (topup_id, "planned", 123_456)
    assert row["marker"].startswith("PP-")

    cancelled = _cli("cancel", str(topup_id), "--json", database_url=sqlite_url, tmp_path=tmp_path)
    assert cancelled.returncode == 0, cancelled.stderr
    assert {k: json.loads(cancelled.stdout)[k] for k in ("id", "status")} == {
        "id": topup_id,
        "status": "cancelled",
    }
    after = json.loads(
        _cli("list", "--json", "--status", "cancelled", database_url=sqlite_url, tmp_path=tmp_path).stdout
    )
    assert [r["id"] for r in after] == [topup_id]

    retried = _cli("retry", str(topup_id), database_url=sqlite_url, tmp_path=tmp_path)
    assert retried.returncode == 2
    assert retried.stderr.strip() == (
        f"error: top-up {topup_id} cannot be retried: it is cancelled; nothing is left to do"
    )
    unknown = _cli("cancel", "nope", database_url=sqlite_url, tmp_path=tmp_path)
    assert (unknown.returncode, unknown.stderr.strip()) == (
        2,
        "error: no top-up with id 'nope'; `prepaid topups list` shows the ids",
    )
