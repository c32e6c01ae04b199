"""Two workers on one database, with leases so short that they expire mid-call: one invoice per top-up."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from invoicing_fakes import FakeInvoices, ledger_credits, make_budget, store_budgets
from sqlalchemy import Engine
from support.clock import PINNED_AT

from connector.budgets.invoicing_ports import LedgerCredits, StoredBudgets
from connector.budgets.reports import balance_rows
from connector.invoicing import TopupStatus, TopupWorker, plan_topup
from connector.invoicing.outbox import list_topups
from connector.storage import create_db_engine

TOPUPS = 30


class SlowSharedInvoices(FakeInvoices):
    """One Teamleader for both workers; each write takes long enough for a lease to expire."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.drafted_markers: list[str] = []

    def draft_invoice(self, body: Mapping[str, Any]) -> str:
        time.sleep(0.02)
        with self.lock:
            self.drafted_markers.append(str(body["purchase_order_number"]))
            return super().draft_invoice(body)

    def book_invoice(self, invoice_id: str, on: Any) -> None:
        time.sleep(0.02)
        with self.lock:
            super().book_invoice(invoice_id, on)

    def list_invoices(self, filters: Mapping[str, Any]) -> Any:
        with self.lock:
            return super().list_invoices(filters)

    def invoice_info(self, invoice_id: str) -> Any:
        with self.lock:
            return super().invoice_info(invoice_id)


def test_two_workers_never_make_two_invoices_for_one_topup(db_url: str, engine: Engine) -> None:
    started = time.monotonic()

    def clock() -> datetime:
        """`PINNED_AT` when the test starts, then real time: the leases must expire mid-call."""
        return PINNED_AT + timedelta(seconds=time.monotonic() - started)

    api = SlowSharedInvoices()
    api.fail("invoices.draft", *["unknown", "lost"] * 5)
    api.fail("invoices.book", *["unknown", "lost"] * 5)
    store_budgets(engine, *(make_budget(f"b{i}", customer_id=f"co-{i}") for i in range(TOPUPS)), clock=clock)
    with engine.begin() as conn:
        for index in range(TOPUPS):
            plan_topup(
                conn,
                budget_id=f"b{index}",
                amount_cents=5_000 + index,
                quantity_seconds=None,
                reason="r",
                now=clock(),
            )
    engines = [create_db_engine(db_url) for _ in range(2)]
    workers = [
        TopupWorker(
            own,
            api,
            StoredBudgets(),
            LedgerCredits(),
            name=f"w{n}",
            lease=timedelta(milliseconds=30),
            backoff=timedelta(0),
            resend_after=timedelta(0),
            max_attempts=50,
            clock=clock,
        )
        for n, own in enumerate(engines)
    ]
    deadline = time.monotonic() + 30
    errors: list[BaseException] = []

    def run(worker: TopupWorker) -> None:
        try:
            while time.monotonic() < deadline:
                worker.run_once()
                with engine.connect() as conn:
                    if all(row.status is TopupStatus.CREDITED for row in list_topups(conn)):
                        return
        except BaseException as error:  # reported by the test thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for own in engines:
        own.dispose()
    assert errors == []
    with engine.connect() as conn:
        assert {row.status for row in list_topups(conn)} == {TopupStatus.CREDITED}
    markers = [row["purchase_order_number"] for row in api.invoices.values()]
    assert len(markers) == TOPUPS == len(set(markers))
    credited = sorted(
        (line["budget_id"], line["source_key"], line["amount_cents"]) for line in ledger_credits(engine)
    )
    with engine.connect() as conn:
        expected = sorted(
            (row.budget_id, f"topup:{row.id}", 5_000 + int(row.budget_id[1:])) for row in list_topups(conn)
        )
        settled = {row.budget_id: row.settled for row in balance_rows(conn)}
    assert len(credited) == TOPUPS and credited == expected
    assert settled == {f"b{i}": 5_000 + i for i in range(TOPUPS)}
