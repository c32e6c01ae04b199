"""Commands on a database that is missing or still empty, as a user meets them after `make demo`:
a command that only reads creates no database and says where it looked and where the demo's
data is; on an empty database the result is empty and stderr says what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

READ_ONLY = [
    ("budgets", "list"),
    ("budgets", "show", "b1"),
    ("ledger", "b1"),
    ("entries", "list"),
    ("forecast",),
    ("topups", "list"),
    ("budgets", "what-if", "b1", "--file", "budgets.toml"),
]


def _prepaid(cwd: Path, *args: str, data_dir: str | None = None) -> subprocess.CompletedProcess[str]:
    """`prepaid *args` in `cwd` with the default database (no PREPAID_DATABASE_URL), as after
    `make demo` in a checkout; `data_dir` sets PREPAID_DATA_DIR."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    env |= {"PREPAID_LOG_FORMAT": "json", "PYTHONWARNINGS": "ignore", "COLUMNS": "200"}
    if data_dir is not None:
        env["PREPAID_DATA_DIR"] = data_dir
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_reading_commands_create_no_database_and_point_at_the_demo(tmp_path: Path) -> None:
    database = tmp_path / "data" / "prepaid.db"
    for args in READ_ONLY:
        refused = _prepaid(tmp_path, *args)
        assert refused.returncode == 2 and refused.stdout == "", (args, refused.stdout)
        assert refused.stderr.count("\n") == 1, refused.stderr
        assert f"no database at {database}" in refused.stderr and "none was created" in refused.stderr
        assert "`prepaid auth login`" in refused.stderr
        assert not database.exists(), args
    status = json.loads(_prepaid(tmp_path, "auth", "status", "--json").stdout)
    assert status == {"connected": False, "status": "not_connected"}
    schema = json.loads(_prepaid(tmp_path, "db", "status", "--json").stdout)
    assert (schema["exists"], schema["revision"], schema["up_to_date"]) == (False, None, False)
    assert not database.exists()

    assert _prepaid(tmp_path, "db", "upgrade", data_dir="data/demo").returncode == 0
    pointed = _prepaid(tmp_path, "budgets", "list")
    assert pointed.returncode == 2 and not database.exists()
    assert "The demo's data is in data/demo" in pointed.stderr
    assert "`PREPAID_DATA_DIR=data/demo prepaid budgets list`" in pointed.stderr


def test_an_empty_database_lists_nothing_and_says_what_to_do(tmp_path: Path) -> None:
    assert _prepaid(tmp_path, "db", "upgrade", data_dir="data/demo").returncode == 0
    created = _prepaid(tmp_path, "db", "upgrade", "--json")
    assert json.loads(created.stdout)["from"] is None and (tmp_path / "data" / "prepaid.db").exists()

    empty = _prepaid(tmp_path, "budgets", "list", "--json")
    assert empty.returncode == 0 and json.loads(empty.stdout) == []
    assert "No budgets in sqlite:///" in empty.stderr and "PREPAID_DATA_DIR=data/demo" in empty.stderr
    forecast = _prepaid(tmp_path, "forecast", "--json")
    assert json.loads(forecast.stdout) == {"budgets": [], "cash_in": []} and "No budgets" in forecast.stderr

    on_the_demo = _prepaid(tmp_path, "budgets", "list", data_dir="data/demo")
    assert on_the_demo.returncode == 0 and "No budgets" in on_the_demo.stderr
    assert (
        "PREPAID_DATA_DIR" not in on_the_demo.stderr and "`prepaid budgets apply FILE`" in on_the_demo.stderr
    )
