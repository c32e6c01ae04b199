"""Subtraction decisions: what makes an entry eligible, and what sync, choices and undo decide.

The billing domain never reads a clock: every instant and day below is handed to it (`at=`,
`today=`), so these tests hold on any date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from billing_factories import GLOBEX, NOW, auto_budget, budget, entry, eur

from connector.billing.allocation import Allocation, AllocationState, Flag, Ineligible, Outcome, ineligibility
from connector.billing.budget import BudgetStatus
from connector.billing.entries import BillingType
from connector.billing.errors import ChoiceRefused
from connector.billing.ledger import LineKind
from connector.billing.rules import RuleMatch
from connector.billing.subtraction import exclude, keep_flagged, on_entry_synced, reevaluate, subtract, undo
from connector.billing.valuation import ValuationSettings


def subtracted(e_changes: dict[str, Any] | None = None) -> Allocation:
    decision = subtract(budget(), entry(**(e_changes or {})), None, actor="user:ann", at=NOW)
    assert decision.allocation is not None
    return decision.allocation


@pytest.mark.parametrize(
    ("changes", "budget_changes", "why"),
    [
        ({"deleted": True}, {}, Ineligible.DELETED),
        ({"customer": None}, {}, Ineligible.NO_CUSTOMER),
        ({"customer": GLOBEX}, {}, Ineligible.OTHER_CUSTOMER),
        ({"started_on": date(2025, 12, 31), "started_at": None}, {}, Ineligible.BEFORE_START),
        ({}, {"end": date(2026, 3, 1)}, Ineligible.AFTER_END),
        ({"billing_type": BillingType.INVOICE}, {}, Ineligible.INVOICED),
        ({"billing_type": BillingType.PREPAID}, {}, Ineligible.PREPAID),
        ({}, {"status": BudgetStatus.CLOSED}, Ineligible.BUDGET_CLOSED),
        ({}, {}, None),
    ],
)
def test_subtraction_eligibility(
    changes: dict[str, Any], budget_changes: dict[str, Any], why: Ineligible | None
) -> None:
    assert ineligibility(budget(**budget_changes), entry(**changes)) is why


def test_subtraction_uses_the_local_start_day_for_dates() -> None:
    late_utc = entry(started_on=date(2025, 12, 31), started_at=datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
    assert ineligibility(budget(), late_utc) is None


def test_subtraction_manual_mode_leaves_new_entries_pending() -> None:
    decision = on_entry_synced(budget(), entry(), None, at=NOW)
    assert decision.outcome is Outcome.PENDING
    assert decision.lines == ()
    assert decision.allocation is not None and decision.allocation.state is AllocationState.PENDING


def test_subtraction_auto_mode_subtracts_matching_entries_with_provenance() -> None:
    decision = on_entry_synced(auto_budget(), entry(), None, at=NOW)
    (line,) = decision.lines
    assert decision.outcome is Outcome.SUBTRACTED
    assert (line.kind, line.amount, line.seconds) == (LineKind.SUBTRACTION, eur("-90"), -3600)
    assert line.rule == RuleMatch("billable", 1)
    assert line.actor == "rule:billable@v1"
    assert line.source_key == "subtraction:b1:e1:1"


def test_subtraction_auto_mode_leaves_non_matching_and_unrated_entries_pending() -> None:
    assert on_entry_synced(auto_budget(), entry(invoiceable=False), None, at=NOW).outcome is Outcome.PENDING
    unrated = auto_budget(valuation=ValuationSettings())
    decision = on_entry_synced(unrated, entry(), None, at=NOW)
    assert decision.outcome is Outcome.PENDING
    assert "no rate" in decision.note


@pytest.mark.parametrize(
    ("billing", "shown"),
    [(BillingType.INVOICE, "invoiced in Teamleader"), (BillingType.PREPAID, "prepaid in Teamleader")],
)
def test_subtraction_never_takes_entries_settled_in_teamleader(billing: BillingType, shown: str) -> None:
    e = entry(billing_type=billing)
    decision = on_entry_synced(auto_budget(), e, None, at=NOW)
    assert (decision.allocation, decision.note) == (None, shown)
    with pytest.raises(ChoiceRefused, match=shown):
        subtract(budget(), e, None, actor="user:ann", at=NOW)


def test_subtraction_replaying_the_same_revision_changes_nothing() -> None:
    first = on_entry_synced(auto_budget(), entry(), None, at=NOW)
    again = on_entry_synced(auto_budget(), entry(), first.allocation, at=NOW)
    assert (again.outcome, again.allocation, again.lines) == (Outcome.UNCHANGED, None, ())


def test_subtraction_adjusts_when_duration_changes_and_explains_it() -> None:
    held = subtracted()
    decision = on_entry_synced(budget(), entry(duration_seconds=5000, revision=2), held, at=NOW)
    (line,) = decision.lines
    assert decision.outcome is Outcome.ADJUSTED
    assert (line.kind, line.amount, line.seconds) == (LineKind.ADJUSTMENT, eur("-45"), -1800)
    assert line.details["old_duration_seconds"] == 3600
    assert line.details["new_duration_seconds"] == 5000
    assert line.details["old_amount"] == "EUR 90.00"
    assert line.details["new_amount"] == "EUR 135.00"
    assert "rate" not in line.reason
    assert decision.allocation is not None and decision.allocation.valuation is not None
    assert decision.allocation.valuation.amount == eur("135")


def test_subtraction_edit_without_value_change_writes_no_line() -> None:
    held = subtracted()
    decision = on_entry_synced(budget(), entry(duration_seconds=3500, revision=2), held, at=NOW)
    assert (decision.outcome, decision.lines) == (Outcome.UNCHANGED, ())
    assert decision.allocation is not None and decision.allocation.snapshot.revision == 2


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"deleted": True}, "deleted in Teamleader"),
        ({"customer": GLOBEX}, "moved to customer company:c-globex"),
        ({"started_on": date(2025, 6, 1), "started_at": None}, "before the budget starts"),
    ],
)
def test_subtraction_reverses_deleted_or_moved_entries(changes: dict[str, Any], reason: str) -> None:
    held = subtracted()
    decision = on_entry_synced(budget(), entry(revision=2, **changes), held, at=NOW)
    (line,) = decision.lines
    assert decision.outcome is Outcome.REVERSED
    assert (line.kind, line.amount, line.reason) == (LineKind.REVERSAL, eur("90"), reason)
    assert decision.allocation is not None and decision.allocation.state is AllocationState.RELEASED


@pytest.mark.parametrize(
    ("changes", "flag"),
    [
        ({"billing_type": BillingType.INVOICE, "billing_invoice_id": "inv-9"}, Flag.INVOICED_IN_TEAMLEADER),
        ({"billing_type": BillingType.PREPAID}, Flag.PREPAID_IN_TEAMLEADER),
        ({"invoiceable": False}, Flag.NOT_INVOICEABLE),
    ],
)
def test_subtraction_flags_but_never_reverses_entries_settled_later(
    changes: dict[str, Any], flag: Flag
) -> None:
    held = subtracted()
    decision = on_entry_synced(budget(), entry(revision=2, **changes), held, at=NOW)
    assert (decision.outcome, decision.lines) == (Outcome.FLAGGED, ())
    assert decision.allocation is not None
    assert decision.allocation.state is AllocationState.SUBTRACTED
    assert decision.allocation.flags == {flag}
    kept = keep_flagged(decision.allocation).allocation
    assert kept is not None and kept.flags == frozenset() and kept.kept_flags == {flag}
    later = on_entry_synced(budget(), entry(revision=3, **changes), kept, at=NOW)
    assert later.outcome is Outcome.UNCHANGED


def test_subtraction_reversing_a_flagged_entry_releases_it() -> None:
    invoiced = entry(revision=2, billing_type=BillingType.INVOICE)
    flagged = on_entry_synced(budget(), invoiced, subtracted(), at=NOW).allocation
    decision = undo(budget(), invoiced, flagged, actor="user:ann", at=NOW)
    assert decision.outcome is Outcome.REVERSED
    assert decision.lines[0].amount == eur("90")
    assert decision.allocation is not None and decision.allocation.state is AllocationState.RELEASED


def test_subtraction_manually_subtracted_non_invoiceable_entry_is_not_flagged() -> None:
    held = subtracted({"invoiceable": False})
    decision = on_entry_synced(
        budget(), entry(invoiceable=False, revision=2, duration_seconds=3000), held, at=NOW
    )
    assert decision.outcome is Outcome.UNCHANGED


def test_subtraction_choices_and_undo() -> None:
    b, e = budget(), entry()
    pending = on_entry_synced(b, e, None, at=NOW).allocation
    chosen = subtract(b, e, pending, actor="user:ann", at=NOW)
    assert chosen.lines[0].actor == "user:ann" and chosen.lines[0].rule is None
    assert subtract(b, e, chosen.allocation, actor="user:ann", at=NOW).outcome is Outcome.UNCHANGED
    undone = undo(b, e, chosen.allocation, actor="user:ann", at=NOW)
    assert undone.lines[0].amount == eur("90")
    assert undone.allocation is not None and undone.allocation.state is AllocationState.PENDING
    excluded = exclude(b, e, undone.allocation, actor="user:ann", at=NOW)
    assert (excluded.outcome, excluded.lines) == (Outcome.EXCLUDED, ())
    back = undo(b, e, excluded.allocation, actor="user:ann", at=NOW)
    assert back.allocation is not None and back.allocation.state is AllocationState.PENDING
    keys = {chosen.lines[0].source_key, undone.lines[0].source_key}
    redo = subtract(b, e, back.allocation, actor="user:ann", at=NOW)
    assert redo.lines[0].source_key not in keys


def test_subtraction_excluding_a_subtracted_entry_reverses_it() -> None:
    decision = exclude(budget(), entry(), subtracted(), actor="user:ann", at=NOW)
    assert decision.outcome is Outcome.EXCLUDED
    assert decision.lines[0].kind is LineKind.REVERSAL


def test_subtraction_undo_in_auto_mode_is_not_redone_by_sync() -> None:
    b = auto_budget()
    auto = on_entry_synced(b, entry(), None, at=NOW).allocation
    undone = undo(b, entry(), auto, actor="user:ann", at=NOW).allocation
    edited = on_entry_synced(b, entry(revision=2, description="more #support"), undone, at=NOW)
    assert edited.outcome is Outcome.PENDING and edited.lines == ()
    assert reevaluate(b, entry(revision=2), edited.allocation, at=NOW).outcome is Outcome.UNCHANGED


def test_subtraction_reevaluate_applies_new_rules_to_pending_only() -> None:
    manual = budget()
    pending = on_entry_synced(manual, entry(), None, at=NOW).allocation
    decision = reevaluate(auto_budget(), entry(), pending, at=NOW)
    assert decision.outcome is Outcome.SUBTRACTED


def test_subtraction_needs_rate_refuses_a_manual_choice() -> None:
    with pytest.raises(ChoiceRefused, match="no rate"):
        subtract(budget(valuation=ValuationSettings()), entry(), None, actor="user:ann", at=NOW)


def test_subtraction_keep_refuses_when_nothing_is_flagged() -> None:
    with pytest.raises(ChoiceRefused, match="not flagged"):
        keep_flagged(subtracted())


def test_subtraction_pending_entry_moved_away_is_released_without_lines() -> None:
    pending = on_entry_synced(budget(), entry(), None, at=NOW).allocation
    decision = on_entry_synced(budget(), entry(customer=GLOBEX, revision=2), pending, at=NOW)
    assert decision.outcome is Outcome.RELEASED and decision.lines == ()
    assert decision.allocation is not None and not decision.allocation.is_active
