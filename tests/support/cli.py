"""`prepaid` as a user runs it: a fresh process on the test's database, none of the caller's PREPAID_
settings, logs as JSON on stderr so stdout holds only the command's output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine


def run_cli(
    engine: Engine,
    tmp_path: Path,
    *args: str,
    columns: int | None = None,
    settings: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m connector *args` in `tmp_path`; `columns` sets the terminal width tables wrap at,
    `settings` adds PREPAID_ variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    env = {
        **clean,
        "PREPAID_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "PREPAID_DATA_DIR": str(tmp_path),
        "PREPAID_LOG_FORMAT": "json",
        "PYTHONWARNINGS": "ignore",
    }
    env.update(settings or {})
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def json_output(result: subprocess.CompletedProcess[str]) -> Any:
    """The command's JSON output, once it exited 0 (else its stderr says why)."""
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
