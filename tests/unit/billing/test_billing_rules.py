from __future__ import annotations

from typing import Any

import pytest
from billing_factories import entry

from connector.billing.errors import InvalidBudget
from connector.billing.rules import RuleMatch, SubtractionRule, carry_versions, first_match


@pytest.mark.parametrize(
    ("criteria", "entry_changes", "matches"),
    [
        ({}, {}, True),
        ({"invoiceable": True}, {"invoiceable": False}, False),
        ({"invoiceable": False}, {"invoiceable": False}, True),
        ({"work_type_ids": frozenset({"wt-dev"})}, {}, True),
        ({"work_type_ids": frozenset({"wt-design"})}, {}, False),
        ({"user_ids": frozenset({"u-bob"})}, {}, False),
        ({"subject_types": frozenset({"ticket"})}, {"subject_type": "ticket"}, True),
        ({"subject_types": frozenset({"ticket"})}, {"subject_type": None}, False),
        ({"words": frozenset({"LOGIN"})}, {}, True),
        ({"words": frozenset({"log"})}, {}, False),
        ({"tags": frozenset({"#Support"})}, {}, True),
        ({"tags": frozenset({"support"})}, {"description": "support without a tag"}, False),
        ({"invoiceable": True, "tags": frozenset({"support"})}, {"invoiceable": False}, False),
    ],
)
def test_rules_match_every_set_criterion(
    criteria: dict[str, Any], entry_changes: dict[str, Any], matches: bool
) -> None:
    assert SubtractionRule("r", **criteria).matches(entry(**entry_changes)) is matches


def test_rules_first_match_names_rule_and_version() -> None:
    rules = [
        SubtractionRule("design", work_type_ids=frozenset({"wt-design"})),
        SubtractionRule("all", version=3),
    ]
    assert first_match(rules, entry()) == RuleMatch("all", 3)
    assert first_match(rules[:1], entry()) is None


def test_rules_revise_makes_a_new_version_and_keeps_the_old() -> None:
    old = SubtractionRule("r", invoiceable=True)
    new = old.revise(SubtractionRule("r", invoiceable=False))
    assert (old.version, old.invoiceable, new.version, new.invoiceable) == (1, True, 2, False)
    assert new.id == "r"
    assert not old.same_criteria(new)
    assert old.same_criteria(SubtractionRule("r", version=7, invoiceable=True))
    with pytest.raises(InvalidBudget):
        old.revise(SubtractionRule("other"))


def test_rules_carry_versions_keeps_unchanged_and_bumps_changed() -> None:
    old = (SubtractionRule("a", version=2, invoiceable=True), SubtractionRule("b", version=4))
    new = (
        SubtractionRule("a", invoiceable=True),
        SubtractionRule("b", invoiceable=False),
        SubtractionRule("c"),
    )
    assert [(r.id, r.version) for r in carry_versions(new, old)] == [("a", 2), ("b", 5), ("c", 1)]
    assert carry_versions(carry_versions(new, old), carry_versions(new, old)) == carry_versions(new, old)
