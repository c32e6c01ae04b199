"""The sync's entry point: re-evaluate changed time entries against every budget they concern.

`EntryApplier.apply` works in batches. Each batch is read and decided in a snapshot that takes no
lock (one read of the entries, one of their allocations in any budget, one of the budgets of
their customers and of the budgets holding them, cached for the whole call; then the pure
decisions of `connector.billing`), and written in its own short transaction with one
`executemany` per table. Allocations are written by compare-and-swap on their version and lines
by unique key, so a batch that another writer overtook since it was read fails as a whole: it is
rolled back and its entries are decided again one by one, each read and written in one locked
transaction. A replayed entry revision decides UNCHANGED and writes nothing, so applying twice is
free. A large call is split by customer over several processes (`connector.budgets.sharding`).
`reconcile_ids` finds what a crash between the sync's commit and this call left behind: entries
whose revision differs from what their allocation saw, and entries of budgeted customers that no
allocation has seen at all. A call that appended many lines ends by moving the ledger checkpoints
up (see `connector.budgets.balance_queries`), so listing balances stays cheap.
"""

from __future__ import annotations

import gc
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, func, or_, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError

from connector.billing import (
    Allocation,
    AllocationState,
    Budget,
    BudgetStatus,
    CustomerRef,
    Decide,
    Decision,
    Outcome,
    TimeEntry,
    decide_across,
    on_entry_synced,
)
from connector.budgets.balance_queries import checkpoint_if_behind
from connector.budgets.budget_queries import load_budgets
from connector.budgets.entry_reads import allocation_rows, allocations_of, chunks, entries_by_id, rows_by_ids
from connector.budgets.sharding import run_shares, split_by_key
from connector.budgets.thresholds import Crossing, after_change
from connector.budgets.writer import Lost, Planned, write_decisions
from connector.logging import get_logger
from connector.storage import create_db_engine, snapshot
from connector.storage.tables.budgets import budget, entry_allocation
from connector.storage.tables.sync import time_entry

__all__ = ["ApplyReport", "EntryApplier", "reconcile_ids"]

_log = get_logger(__name__)
BATCH = 10_000
PARALLEL_FROM = 50_000
_RETRIES = 3


def _synced(b: Budget, e: TimeEntry, a: Allocation | None, at: datetime) -> Decision:
    return on_entry_synced(b, e, a, at=at)


@dataclass
class ApplyReport:
    """What one call changed: outcome counts, entries it could not settle, threshold crossings,
    and how many processes shared the work."""

    outcomes: Counter[str] = field(default_factory=Counter)
    conflicts: list[str] = field(default_factory=list)
    crossings: list[Crossing] = field(default_factory=list)
    flagged: list[tuple[str, str, str]] = field(default_factory=list)
    process_ids: set[int] = field(default_factory=set)

    @property
    def changed(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome != Outcome.UNCHANGED.value)

    @property
    def processes(self) -> int:
        """How many processes applied entries (more than one for a large, shared call)."""
        return max(1, len(self.process_ids))

    def merge(self, other: ApplyReport) -> None:
        self.outcomes.update(other.outcomes)
        self.conflicts.extend(other.conflicts)
        self.crossings.extend(other.crossings)
        self.flagged.extend(other.flagged)
        self.process_ids |= other.process_ids


@contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a large call, then restore it.

    A batch holds tens of thousands of short-lived objects (rows, entries, decisions) that
    survive the young generations, so the collector ran full passes over the whole heap again
    and again: a fifth of a million-entry call (measured with py-spy). The decisions create no
    reference cycles; memory is freed by reference counting as each batch ends, and whatever
    cycles other threads make meanwhile are collected when the call returns.
    """
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Budgets:
    """Budgets by customer, loaded once per call for the customers a batch names."""

    def __init__(self) -> None:
        self.by_id: dict[str, Budget] = {}
        self.by_customer: dict[CustomerRef, list[Budget]] = {}

    def load(self, conn: Connection, customers: set[CustomerRef], ids: set[str]) -> None:
        missing = customers - self.by_customer.keys()
        if missing:
            for customer in missing:
                self.by_customer[customer] = []
            for b in load_budgets(conn, customers=missing):
                self.by_customer[b.customer].append(b)
                self.by_id[b.id] = b
        unknown = ids - self.by_id.keys()
        if unknown:
            for b in load_budgets(conn, ids=unknown):
                self.by_id[b.id] = b


@dataclass(frozen=True)
class _Read:
    """What a batch is decided from: its entries and the raw rows of their allocations."""

    entries: dict[str, TimeEntry]
    allocation_rows: list[Row[Any]]


class EntryApplier:
    """Decides and stores, in batches; `decide` is `on_entry_synced` unless a caller re-evaluates.

    `workers` is how many processes a large call may use (see `connector.budgets.sharding`);
    only the sync's own decision is spread over processes, since a caller's `decide` may be a
    closure that cannot travel to another process.
    """

    def __init__(
        self, engine: Engine, *, actor: str = "sync", clock: Callable[[], datetime], workers: int = 1
    ) -> None:
        self._engine = engine
        self._actor = actor
        self._clock = clock
        self._workers = workers

    def apply(
        self, entry_ids: Sequence[str], *, decide: Decide = _synced, budget_ids: set[str] | None = None
    ) -> ApplyReport:
        """Re-evaluate these entries (against `budget_ids` only, when given)."""
        unique = list(dict.fromkeys(entry_ids))
        large = len(unique) > BATCH
        with _collector_paused(large):
            if not large:
                report = self.apply_share(unique, decide=decide, budget_ids=budget_ids)
            else:
                ordered = self._by_customer(unique)
                spread = decide is _synced and len(unique) >= PARALLEL_FROM and _shared_file(self._engine)
                parts = self._workers if spread else 1
                url = self._engine.url
                reports = run_shares(
                    split_by_key(ordered, parts),
                    lambda share: self.apply_share(share, decide=decide, budget_ids=budget_ids),
                    _apply_in_worker,
                    lambda share: (url, self._actor, self._clock(), share, budget_ids),
                )
                report = ApplyReport()
                for part in reports:
                    report.merge(part)
        if report.changed:
            with self._engine.begin() as conn:
                checkpoint_if_behind(conn, at=self._clock())
        return report

    def apply_share(
        self, ids: Sequence[str], *, decide: Decide = _synced, budget_ids: set[str] | None = None
    ) -> ApplyReport:
        """Apply these entries here, batch after batch (the work of one process)."""
        report = ApplyReport(process_ids={os.getpid()})
        cache = _Budgets()
        for batch in chunks(ids, BATCH):
            try:
                self._batch(batch, cache, decide, budget_ids, report)
            except (Lost, IntegrityError):
                _log.info("budgets.apply.retry_one_by_one", entries=len(batch))
                for entry_id in batch:
                    self._one(entry_id, cache, decide, budget_ids, report)
        return report

    def _by_customer(self, ids: Sequence[str]) -> list[tuple[tuple[str, str], str]]:
        """Order a large call by customer, so each batch touches few budgets and reads few balances.

        A call naming a good share of the synced entries (a full sync, the benchmark) streams
        the table once in storage order, which costs far less than as many id lookups; each
        customer's key is one shared tuple and each id the caller's own string, so a million
        entries cost little more than their ids.
        """
        ordered: list[tuple[tuple[str, str], str]] = []
        shared: dict[tuple[str, str], tuple[str, str]] = {}
        columns = (time_entry.c.id, time_entry.c.customer_type, time_entry.c.customer_id)
        with snapshot(self._engine) as conn:
            total = conn.execute(select(func.count()).select_from(time_entry)).scalar_one()
            unseen = {entry_id: entry_id for entry_id in ids}
            rows: Iterable[Sequence[Any]] = (
                conn.execute(select(*columns))
                if len(ids) * 4 >= total
                else rows_by_ids(conn, columns, time_entry.c.id, ids)
            )
            for found, kind, customer in rows:
                entry_id = unseen.pop(found, None)
                if entry_id is not None:
                    key = (kind or "", customer or "")
                    ordered.append((shared.setdefault(key, key), entry_id))
        ordered.extend((("", ""), entry_id) for entry_id in unseen)
        ordered.sort()
        return ordered

    def _one(
        self, entry_id: str, cache: _Budgets, decide: Decide, budget_ids: set[str] | None, report: ApplyReport
    ) -> None:
        for _attempt in range(_RETRIES):
            try:
                with self._engine.begin() as conn:
                    planned = self._decide(self._read(conn, [entry_id], cache), cache, decide, budget_ids)
                    self._write(conn, planned, report)
                return
            except (Lost, IntegrityError) as error:
                reason = str(error.orig) if isinstance(error, IntegrityError) else str(error)
        report.conflicts.append(entry_id)
        _log.warning(
            "budgets.apply.conflict",
            entry_id=entry_id,
            reason=reason,
            hint="run `prepaid entries list` to see the entry; `prepaid budgets reconcile` retries",
        )

    def _read(self, conn: Connection, ids: Sequence[str], cache: _Budgets) -> _Read:
        """The entries, their allocations in any budget, and (into `cache`) the budgets concerned."""
        entries = entries_by_id(conn, ids)
        rows = allocation_rows(conn, list(entries))
        cache.load(
            conn, {e.customer for e in entries.values() if e.customer is not None}, {r[0] for r in rows}
        )
        return _Read(entries, rows)

    def _decide(self, read: _Read, cache: _Budgets, decide: Decide, only: set[str] | None) -> list[Planned]:
        """Each entry in its customer's budgets and in those holding it, decided together, so an
        entry that changed customer is reversed in the old budget before the new one takes it."""
        currencies = {b.id: b.unit.currency for b in cache.by_id.values()}
        allocations = allocations_of(read.allocation_rows, currencies)
        held: dict[str, list[str]] = {}
        for budget_id, entry_id in allocations:
            held.setdefault(entry_id, []).append(budget_id)
        at = self._clock()
        planned: list[Planned] = []
        for entry in read.entries.values():
            candidates = (
                {b.id: b for b in cache.by_customer.get(entry.customer, [])} if entry.customer else {}
            )
            for budget_id in held.get(entry.id, ()):
                candidates[budget_id] = cache.by_id[budget_id]
            chosen: list[tuple[Budget, Allocation | None]] = []
            for b in candidates.values():
                previous = allocations.get((b.id, entry.id))
                if only is None or b.id in only or _subtracted(previous):
                    chosen.append((b, previous))
            for p in decide_across(entry, chosen, decide, at):
                planned.append(Planned(p.budget, entry, p.previous, p.decision))
        return planned

    def _batch(
        self,
        ids: Sequence[str],
        cache: _Budgets,
        decide: Decide,
        only: set[str] | None,
        report: ApplyReport,
    ) -> None:
        """Read in a short snapshot, decide outside any transaction, then write in a short
        transaction that re-checks every allocation's version: the write lock is held for the
        writing only, and no snapshot stays open long enough to hold up SQLite's checkpoints
        (a WAL that cannot be reset grows, and every read then slows down)."""
        with snapshot(self._engine) as conn:
            read = self._read(conn, ids, cache)
        planned = self._decide(read, cache, decide, only)
        with self._engine.begin() as conn:
            self._write(conn, planned, report)

    def _write(self, conn: Connection, planned: Sequence[Planned], report: ApplyReport) -> None:
        changing = [p for p in planned if p.decision.allocation is not None]
        budgets = {p.budget.id: p.budget for p in changing if p.decision.lines}
        at = self._clock()
        crossings = after_change(
            conn, budgets, lambda: write_decisions(conn, changing, actor=self._actor, at=at), now=at
        )
        for p in planned:
            report.outcomes[p.decision.outcome.value] += 1
            if p.decision.outcome is Outcome.FLAGGED:
                report.flagged.append((p.budget.name, p.entry.id, p.decision.note))
        report.crossings.extend(crossings)


def _subtracted(allocation: Allocation | None) -> bool:
    """A budget holding the entry subtracted is decided even outside `budget_ids`: the entry may
    have left it, and another budget cannot take the entry until it lets go."""
    return allocation is not None and allocation.state is AllocationState.SUBTRACTED


def _shared_file(engine: Engine) -> bool:
    """Whether another process opening the engine's URL sees the same database (not in-memory)."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        return True
    return bool(url.database) and url.database != ":memory:" and url.query.get("mode") != "memory"


def _apply_in_worker(
    url: URL, actor: str, at: datetime, ids: list[str], budget_ids: set[str] | None
) -> ApplyReport:
    """One share of a large call, in a spawned process: its own engine, the caller's time."""
    engine = create_db_engine(url.render_as_string(hide_password=False))
    try:
        with _collector_paused(True):
            return EntryApplier(engine, actor=actor, clock=lambda: at).apply_share(ids, budget_ids=budget_ids)
    finally:
        engine.dispose()


def reconcile_ids(conn: Connection, *, limit: int | None = None) -> list[str]:
    """Entries the ledger has not caught up with: a revision no allocation saw yet. A budget the
    entry left (released, and the entry now of another customer) no longer follows its edits."""
    elsewhere = and_(
        entry_allocation.c.state == AllocationState.RELEASED.value,
        ~and_(
            budget.c.customer_type == time_entry.c.customer_type,
            budget.c.customer_id == time_entry.c.customer_id,
        ),
    )
    stale = (
        select(entry_allocation.c.time_entry_id)
        .join(time_entry, time_entry.c.id == entry_allocation.c.time_entry_id)
        .join(budget, budget.c.id == entry_allocation.c.budget_id)
        .where(entry_allocation.c.seen_revision != time_entry.c.revision, ~elsewhere)
    )
    seen = select(entry_allocation.c.time_entry_id).where(
        entry_allocation.c.budget_id == budget.c.id,
        entry_allocation.c.time_entry_id == time_entry.c.id,
    )
    unseen = (
        select(time_entry.c.id)
        .join(
            budget,
            and_(
                budget.c.customer_type == time_entry.c.customer_type,
                budget.c.customer_id == time_entry.c.customer_id,
            ),
        )
        .where(
            budget.c.status == BudgetStatus.ACTIVE.value,
            time_entry.c.deleted_at.is_(None),
            time_entry.c.billing_type.is_(None),
            time_entry.c.started_on >= budget.c.start_on,
            or_(budget.c.end_on.is_(None), time_entry.c.started_on <= budget.c.end_on),
            ~seen.exists(),
        )
    )
    ids = list(dict.fromkeys([*conn.execute(stale).scalars(), *conn.execute(unseen).scalars()]))
    return ids if limit is None else ids[:limit]
