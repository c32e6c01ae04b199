"""`prepaid demo --no-serve` tells the whole story non-interactively, and can run twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _demo(data_dir: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    env["PREPAID_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "connector", "demo", "--no-serve", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_demo_creates_a_top_up_invoice_and_runs_again(tmp_path: Path) -> None:
    for _ in range(2):
        summary = _demo(tmp_path)
        invoices = summary["invoices"]
        assert isinstance(invoices, list) and invoices
        assert all(
            i["status"] in ("draft", "outstanding") and i["marker"].startswith("PP-") for i in invoices
        )
        assert any(i["topup"] == "credited" for i in invoices)
        budgets = summary["budgets"]
        assert isinstance(budgets, list) and len(budgets) == 4
        assert all(b["customer"] and ":" not in b["customer"] for b in budgets)
        hours = [b for b in budgets if b["settled"].get("unit") == "hours"]
        assert len(hours) == 1 and hours[0]["settled_display"] == f"{hours[0]['settled']['amount']} h"
        assert all(b["settled"].keys() == {"amount", "currency"} for b in budgets if b not in hours)
        assert all(
            i["total"]["currency"] == "EUR" and i["total_display"].startswith("EUR ") for i in invoices
        )
        assert summary["data_dir"] == str(tmp_path / "demo")
