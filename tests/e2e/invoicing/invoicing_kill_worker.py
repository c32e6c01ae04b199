"""One top-up worker process that kills itself with SIGKILL at a named checkpoint.

Started by test_invoicing_e2e_kill.py with the product's settings in the environment (the
sandbox's URL and credentials, the database URL, the secret key) and the budget as JSON; the
tokens are already in the database. `KILL_AT` names the checkpoint (see `CHECKPOINTS`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
from pathlib import Path

from connector.invoicing import TopupWorker
from connector.invoicing.teamleader_api import TeamleaderInvoices
from connector.settings import load_settings
from connector.storage import create_db_engine
from connector.teamleader import build_client

FAKES = Path(__file__).resolve().parents[2] / "unit" / "invoicing" / "invoicing_fakes.py"


def _fakes() -> object:
    spec = importlib.util.spec_from_file_location("invoicing_fakes", FAKES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["invoicing_fakes"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    fakes = _fakes()
    kill_at = os.environ["KILL_AT"]
    settings = load_settings()
    engine = create_db_engine(settings.resolved_database_url)
    budget = fakes.make_budget(**json.loads(os.environ["KILL_BUDGET"]))  # type: ignore[attr-defined]

    def checkpoint(name: str) -> None:
        if name == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    worker = TopupWorker(
        engine,
        TeamleaderInvoices(build_client(settings, engine)),
        fakes.FakeBudgets(budget),  # type: ignore[attr-defined]
        fakes.TableCreditSink(engine),  # type: ignore[attr-defined]
        name="kill-test-worker",
        checkpoint=checkpoint,
    )
    worker.run_once()
    print("not killed", flush=True)


if __name__ == "__main__":
    main()
