"""Budgets survive the trip to rows and back exactly: every setting of the example file, and rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.billing import BudgetSpec, CustomerRef, CustomerType, parse_budgets_file
from connector.budgets.budget_codec import budget_from_row, budget_values, rule_criteria, rule_from_criteria

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "budgets.example.toml"
SPECS = parse_budgets_file(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_every_example_budget_round_trips(spec: BudgetSpec) -> None:
    budget = spec.build(CustomerRef(CustomerType.COMPANY, "c-1"))
    rules = {(r.id, r.version): rule_from_criteria(r.id, r.version, rule_criteria(r)) for r in budget.rules}
    assert budget_from_row(budget_values(budget), rules) == budget


def test_the_example_names_every_customer_the_demo_resolves() -> None:
    assert [s.id for s in SPECS] == [
        "ironflorist-support-2026",
        "sunnyyoga-hours",
        "northdental-retainer",
        "ines-lambert-prepaid",
    ]
    assert {s.customer_name for s in SPECS if s.customer_name} == {
        "Ironflorist Logistics",
        "Northdental Dental",
    }
