"""One top-up worker process that kills itself with SIGKILL at a named checkpoint.

Started by test_invoicing_e2e_kill.py with the product's settings in the environment (the
sandbox's URL and credentials, the database URL, the secret key); the tokens and the budget are
already in the database. `KILL_AT` names the checkpoint (see `CHECKPOINTS`). The worker runs on
the ports `Container.topup_worker` wires, so a credit it writes before dying is in the ledger.
"""

from __future__ import annotations

import os
import signal

from connector.budgets.invoicing_ports import LedgerCredits, StoredBudgets
from connector.invoicing import TopupWorker
from connector.invoicing.teamleader_api import TeamleaderInvoices
from connector.settings import load_settings
from connector.storage import create_db_engine
from connector.teamleader import build_client


def main() -> None:
    kill_at = os.environ["KILL_AT"]
    settings = load_settings()
    engine = create_db_engine(settings.resolved_database_url)

    def checkpoint(name: str) -> None:
        if name == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    worker = TopupWorker(
        engine,
        TeamleaderInvoices(build_client(settings, engine)),
        StoredBudgets(),
        LedgerCredits(),
        name="kill-test-worker",
        checkpoint=checkpoint,
    )
    worker.run_once()
    print("not killed", flush=True)


if __name__ == "__main__":
    main()
