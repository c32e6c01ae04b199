"""Builders for billing tests: a budget, a time entry and the instant they stand at, with readable defaults.

The billing domain never reads a clock: its tests hand it `NOW` (the tests' `PINNED_AT`) as `at=`,
and the budget and entry below are dated earlier in that year.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from support.clock import PINNED_AT

from connector.billing.budget import Budget, SubtractionMode
from connector.billing.entries import CustomerRef, CustomerType, TimeEntry
from connector.billing.money import Money
from connector.billing.rules import SubtractionRule
from connector.billing.units import BudgetUnit
from connector.billing.valuation import ValuationSettings

ACME = CustomerRef(CustomerType.COMPANY, "c-acme")
GLOBEX = CustomerRef(CustomerType.COMPANY, "c-globex")
NOW = PINNED_AT


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def budget(**changes: Any) -> Budget:
    base = Budget(
        id="b1",
        customer=ACME,
        name="Acme support 2026",
        unit=BudgetUnit.money("EUR"),
        start=date(2026, 1, 1),
        valuation=ValuationSettings(default_rate=eur("90"), rounding_increment_seconds=900),
        threshold=Decimal("500"),
        opening_balance=Decimal("2000"),
    )
    return replace(base, **changes)


def auto_budget(**changes: Any) -> Budget:
    rules = (SubtractionRule("billable", invoiceable=True),)
    return budget(mode=SubtractionMode.AUTO, rules=rules, **changes)


def entry(entry_id: str = "e1", **changes: Any) -> TimeEntry:
    base = TimeEntry(
        id=entry_id,
        customer=ACME,
        user_id="u-ann",
        work_type_id="wt-dev",
        started_on=date(2026, 3, 2),
        started_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        duration_seconds=3600,
        description="Fix login #support",
        subject_type="company",
    )
    return replace(base, **changes)
