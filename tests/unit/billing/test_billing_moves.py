"""One entry across budgets: a subtracted entry whose customer changes is reversed in its old
budget before the new budget's own rules take it, and never ends up subtracted twice."""

from __future__ import annotations

from datetime import datetime

from billing_factories import ACME, GLOBEX, NOW, auto_budget, budget, entry

from connector.billing.allocation import Allocation, AllocationState, Decision, Outcome
from connector.billing.budget import Budget
from connector.billing.entries import TimeEntry
from connector.billing.ledger import LineKind
from connector.billing.moves import decide_across, frees_entry
from connector.billing.subtraction import on_entry_synced, reevaluate


def _synced(b: Budget, e: TimeEntry, a: Allocation | None, at: datetime) -> Decision:
    return on_entry_synced(b, e, a, at=at)


def _held() -> Allocation:
    decision = on_entry_synced(auto_budget(id="acme"), entry(), None, at=NOW)
    assert decision.allocation is not None and decision.outcome is Outcome.SUBTRACTED
    return decision.allocation


def test_moves_an_entry_to_an_auto_budget_reverses_the_old_one_first() -> None:
    old, new = auto_budget(id="acme"), auto_budget(id="globex", customer=GLOBEX, name="Globex")
    moved = entry(customer=GLOBEX, revision=2)

    placed = decide_across(moved, [(new, None), (old, _held())], _synced, NOW)

    assert [(p.budget.id, p.decision.outcome) for p in placed] == [
        ("acme", Outcome.REVERSED),
        ("globex", Outcome.SUBTRACTED),
    ]
    (reversal,) = placed[0].decision.lines
    assert reversal.kind is LineKind.REVERSAL and reversal.amount.amount == 90
    assert reversal.details == {"old_customer": str(ACME), "new_customer": str(GLOBEX)}
    assert frees_entry(placed[0].previous, placed[0].decision)
    assert not frees_entry(placed[1].previous, placed[1].decision)


def test_moves_an_entry_to_a_manual_budget_leaves_it_pending_there() -> None:
    old, new = auto_budget(id="acme"), budget(id="globex", customer=GLOBEX, name="Globex")

    placed = decide_across(entry(customer=GLOBEX, revision=2), [(new, None), (old, _held())], _synced, NOW)

    assert [(p.budget.id, p.decision.outcome) for p in placed] == [
        ("acme", Outcome.REVERSED),
        ("globex", Outcome.PENDING),
    ]


def test_moves_an_entry_that_lost_its_customer_is_only_reversed() -> None:
    (placed,) = decide_across(
        entry(customer=None, revision=2), [(auto_budget(id="acme"), _held())], _synced, NOW
    )

    assert placed.decision.outcome is Outcome.REVERSED
    assert placed.decision.lines[0].details == {"old_customer": str(ACME), "new_customer": None}


def test_moves_a_second_budget_cannot_subtract_an_entry_another_keeps() -> None:
    keeper, other = auto_budget(id="acme"), auto_budget(id="acme-2", name="Acme extra")

    placed = decide_across(entry(revision=2), [(other, None), (keeper, _held())], _synced, NOW)

    outcomes = {p.budget.id: p.decision for p in placed}
    assert outcomes["acme"].outcome is Outcome.UNCHANGED and outcomes["acme"].allocation is not None
    assert outcomes["acme-2"] == Decision(
        Outcome.UNCHANGED, note="already subtracted from budget 'Acme support 2026'"
    )


def test_moves_two_new_budgets_give_the_entry_to_the_first_only() -> None:
    first, second = auto_budget(id="acme"), auto_budget(id="acme-2", name="Acme extra")

    placed = decide_across(entry(), [(first, None), (second, None)], _synced, NOW)

    assert [(p.budget.id, p.decision.outcome) for p in placed] == [
        ("acme", Outcome.SUBTRACTED),
        ("acme-2", Outcome.UNCHANGED),
    ]


def test_moves_reevaluation_leaves_a_pending_entry_that_left_the_budget() -> None:
    manual = budget(id="acme")
    pending = on_entry_synced(manual, entry(), None, at=NOW).allocation
    assert pending is not None and pending.state is AllocationState.PENDING

    decision = reevaluate(auto_budget(id="acme"), entry(customer=GLOBEX, revision=2), pending, at=NOW)

    assert decision == Decision(Outcome.UNCHANGED)
