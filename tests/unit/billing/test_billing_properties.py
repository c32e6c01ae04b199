"""Property tests: random sequences of syncs, edits, deletions, replays, choices and undos
against an in-memory allocation store that applies decisions like the database will."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from billing_factories import ACME, GLOBEX, NOW, budget, entry, eur
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.billing.allocation import Allocation, AllocationState, Decision, Outcome
from connector.billing.budget import Budget, SubtractionMode
from connector.billing.entries import BillingType, CustomerRef, TimeEntry
from connector.billing.errors import ChoiceRefused
from connector.billing.funding import fifo_funding
from connector.billing.ledger import LedgerLine, LineKind, opening_line, settled_balance, topup_credit_line
from connector.billing.money import Money
from connector.billing.rules import SubtractionRule
from connector.billing.subtraction import exclude, keep_flagged, on_entry_synced, subtract, undo
from connector.billing.units import BudgetUnit
from connector.billing.valuation import ValuationSettings

MONEY_BUDGET = budget(
    mode=SubtractionMode.AUTO,
    rules=(SubtractionRule("support", tags=frozenset({"support"})),),
    valuation=ValuationSettings(
        default_rate=eur("90"), user_rates={"u-ann": eur("120.50")}, rounding_increment_seconds=900
    ),
)
HOURS_BUDGET = budget(
    id="b2",
    customer=GLOBEX,
    name="Globex hours",
    unit=BudgetUnit.hours(eur("80")),
    valuation=ValuationSettings(rounding_increment_seconds=600, minimum_seconds=1800),
    opening_balance=Decimal("20"),
    threshold=Decimal("5"),
)
BUDGETS = (MONEY_BUDGET, HOURS_BUDGET)


def reference_measure(b: Budget, e: TimeEntry) -> int:
    """Cents or seconds computed with integer arithmetic only, independently of the domain."""
    increment, minimum = (900, 0) if b is MONEY_BUDGET else (600, 1800)
    rounded = -(-e.duration_seconds // increment) * increment
    if e.duration_seconds > 0:
        rounded = max(rounded, minimum)
    if b.unit.is_hours:
        return rounded
    rate_cents = 12050 if e.user_id == "u-ann" else 9000
    return (2 * rounded * rate_cents + 3600) // 7200


@dataclass
class Store:
    allocations: dict[tuple[str, str], Allocation] = field(default_factory=dict)
    lines: list[LedgerLine] = field(default_factory=list)
    entries: dict[str, TimeEntry] = field(default_factory=dict)
    credits: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for b in BUDGETS:
            self.lines.append(opening_line(b, actor="test", at=NOW))
            self.credits[b.id] = b.opening_measure

    def apply(self, decision: Decision) -> None:
        keys = {line.source_key for line in self.lines}
        for line in decision.lines:
            assert line.source_key not in keys, f"duplicate source key {line.source_key}"
        if decision.allocation is not None:
            a = decision.allocation
            old = self.allocations.get((a.budget_id, a.entry_id))
            assert a.version == (old.version + 1 if old else 1), "optimistic version must grow by one"
            if a.state is AllocationState.SUBTRACTED:
                others = [
                    x
                    for x in self.allocations.values()
                    if x.entry_id == a.entry_id and x.budget_id != a.budget_id
                ]
                assert all(x.state is not AllocationState.SUBTRACTED for x in others), (
                    "subtracted from two budgets"
                )
            self.allocations[(a.budget_id, a.entry_id)] = a
        self.lines.extend(decision.lines)

    def sync(self, e: TimeEntry) -> list[Decision]:
        """What the sync service will do: follow existing allocations first, then the new budget."""
        self.entries[e.id] = e
        decisions = []
        for b in BUDGETS:
            held = self.allocations.get((b.id, e.id))
            if held is not None and held.is_active:
                decisions.append(on_entry_synced(b, e, held, at=NOW))
                self.apply(decisions[-1])
        for b in BUDGETS:
            held = self.allocations.get((b.id, e.id))
            if held is None or not held.is_active:
                decisions.append(on_entry_synced(b, e, held, at=NOW))
                self.apply(decisions[-1])
        return decisions

    def budget_of(self, entry_id: str) -> Budget | None:
        for b in BUDGETS:
            held = self.allocations.get((b.id, entry_id))
            if held is not None and held.is_active:
                return b
        return None

    def balance(self, b: Budget) -> int:
        return settled_balance([line for line in self.lines if line.budget_id == b.id], b.unit).measure


edits = st.fixed_dictionaries(
    {
        "duration_seconds": st.integers(min_value=0, max_value=5 * 3600),
        "customer": st.sampled_from([ACME, ACME, ACME, GLOBEX, GLOBEX, None]),
        "user_id": st.sampled_from(["u-ann", "u-bob"]),
        "invoiceable": st.sampled_from([True, True, True, False]),
        "billing_type": st.sampled_from([None] * 8 + [BillingType.INVOICE, BillingType.PREPAID]),
        "deleted": st.sampled_from([False] * 9 + [True]),
        "description": st.sampled_from(["#support call", "meeting", "#Support #urgent"]),
        "started_on": st.sampled_from([date(2026, 3, 2)] * 5 + [date(2025, 12, 30)]),
    }
)
syncs = st.tuples(st.just("sync"), st.integers(0, 3), edits)
choices = st.tuples(
    st.sampled_from(["replay", "subtract", "subtract", "exclude", "undo", "keep", "redo"]),
    st.integers(0, 3),
    st.none(),
)
operations = st.one_of(
    syncs, choices, choices, st.tuples(st.just("credit"), st.integers(0, 1), st.integers(1, 50_000))
)


def _choose(store: Store, op: str, entry_id: str) -> None:
    e = store.entries[entry_id]
    b = store.budget_of(entry_id) or next((x for x in BUDGETS if x.customer == e.customer), None)
    if b is None:
        return
    held = store.allocations.get((b.id, entry_id))
    try:
        if op == "subtract":
            store.apply(subtract(b, e, held, actor="user:ann", at=NOW))
        elif op == "exclude":
            store.apply(exclude(b, e, held, actor="user:ann", at=NOW))
        elif op == "undo":
            store.apply(undo(b, e, held, actor="user:ann", at=NOW))
        elif op == "keep" and held is not None:
            store.apply(keep_flagged(held))
        elif op == "redo" and held is not None and held.state is AllocationState.SUBTRACTED:
            before = store.balance(b)
            undone = undo(b, e, held, actor="user:ann", at=NOW)
            store.apply(undone)
            if undone.allocation is not None and undone.allocation.state is AllocationState.PENDING:
                store.apply(subtract(b, e, undone.allocation, actor="user:ann", at=NOW))
                assert store.balance(b) == before, "undo then redo must give the exact balance"
    except ChoiceRefused:
        return


def _check_invariants(store: Store) -> None:
    for b in BUDGETS:
        held = [
            a
            for (bid, _), a in store.allocations.items()
            if bid == b.id and a.state is AllocationState.SUBTRACTED
        ]
        by_kind: dict[LineKind, int] = {}
        for line in store.lines:
            if line.budget_id == b.id:
                by_kind[line.kind] = by_kind.get(line.kind, 0) + line.measure(b.unit)
        expected = store.credits[b.id] - sum(reference_measure(b, store.entries[a.entry_id]) for a in held)
        assert store.balance(b) == expected
        assert store.balance(b) == (
            by_kind.get(LineKind.OPENING, 0)
            + by_kind.get(LineKind.TOPUP_CREDIT, 0)
            + by_kind.get(LineKind.SUBTRACTION, 0)
            + by_kind.get(LineKind.ADJUSTMENT, 0)
            + by_kind.get(LineKind.REVERSAL, 0)
        )
        for a in held:
            net = sum(
                line.measure(b.unit)
                for line in store.lines
                if line.entry_id == a.entry_id and line.budget_id == b.id
            )
            assert net == -reference_measure(b, store.entries[a.entry_id])
        links = fifo_funding([line for line in store.lines if line.budget_id == b.id], b.unit)
        funded = sum(link.measure for link in links if link.credit_key is not None)
        total_debt = -sum(reference_measure(b, store.entries[a.entry_id]) for a in held)
        assert funded + sum(link.measure for link in links if link.credit_key is None) == -total_debt
        assert funded <= store.credits[b.id]
    subtracted = [a.entry_id for a in store.allocations.values() if a.state is AllocationState.SUBTRACTED]
    assert len(subtracted) == len(set(subtracted)), "an entry is subtracted at most once"


@settings(max_examples=300, deadline=None)
@given(st.lists(syncs, min_size=1, max_size=4), st.lists(operations, min_size=10, max_size=50))
def test_billing_properties_random_histories(
    first: list[tuple[str, int, object]], ops: list[tuple[str, int, object]]
) -> None:
    store = Store()
    revisions: dict[str, int] = {}
    for op, index, arg in first + ops:
        entry_id = f"e{index}"
        if op == "sync":
            assert isinstance(arg, dict)
            revisions[entry_id] = revisions.get(entry_id, 0) + 1
            e = entry(entry_id, revision=revisions[entry_id], started_at=None, **arg)
            store.sync(e)
        elif op == "replay" and entry_id in store.entries:
            before = (dict(store.allocations), len(store.lines))
            decisions = store.sync(store.entries[entry_id])
            assert all(not d.lines and d.outcome is Outcome.UNCHANGED for d in decisions)
            assert before == (dict(store.allocations), len(store.lines)), "a replayed batch changes nothing"
        elif op == "credit":
            assert isinstance(arg, int)
            b = BUDGETS[index]
            line = topup_credit_line(
                b, invoice_id=f"inv-{len(store.lines)}", quantity=Decimal(arg) / 100, actor="t", at=NOW
            )
            store.lines.append(line)
            store.credits[b.id] += line.measure(b.unit)
        elif entry_id in store.entries:
            _choose(store, op, entry_id)
        _check_invariants(store)


def test_billing_properties_store_detects_double_subtraction() -> None:
    store = Store()
    e = replace(entry("e1"), customer=CustomerRef(ACME.type, ACME.id), description="no tag")
    store.sync(e)
    held = store.allocations[("b1", "e1")]
    decision = subtract(MONEY_BUDGET, e, held, actor="user:ann", at=NOW)
    store.apply(decision)
    try:
        store.apply(decision)
    except AssertionError as error:
        assert "duplicate source key" in str(error) or "version" in str(error)
    else:
        raise AssertionError("applying the same decision twice must be refused")
    assert Money.from_cents(store.balance(MONEY_BUDGET), "EUR") == eur("1879.50")
