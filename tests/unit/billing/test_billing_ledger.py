"""Ledger lines and balances: settled and provisional sums, reversals, the checks on a line and
FIFO funding.

The billing domain never reads a clock: every instant and day below is handed to it (`at=`,
`today=`), so these tests hold on any date.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from billing_factories import NOW, budget, eur

from connector.billing.errors import InvalidBudget
from connector.billing.funding import FundingLink, fifo_funding
from connector.billing.ledger import (
    LedgerLine,
    LineKind,
    correction_line,
    credit_reversal_line,
    entry_line,
    opening_line,
    provisional_balance,
    settled_balance,
    topup_credit_line,
)
from connector.billing.units import BudgetUnit
from connector.billing.valuation import RateSource, Valuation

HOURS = budget(unit=BudgetUnit.hours(eur("80")), opening_balance=Decimal("10"), threshold=Decimal("2"))


def test_ledger_balance_is_the_sum_of_lines() -> None:
    b = budget()
    lines = [
        opening_line(b, actor="cli", at=NOW),
        topup_credit_line(b, invoice_id="inv-1", quantity=Decimal("500"), actor="worker", at=NOW),
        correction_line(
            b, quantity=Decimal("-12.34"), reason="goodwill", request_id="r1", actor="ann", at=NOW
        ),
    ]
    balance = settled_balance(lines, b.unit)
    assert balance.measure == 248766
    assert balance.money == eur("2487.66")
    assert balance.hours_at(eur("90")) == Decimal("2487.66") / 90
    assert [line.source_key for line in lines] == ["open:b1", "credit:b1:inv-1", "corr:b1:r1"]


def test_ledger_hours_budget_counts_seconds_and_shows_money() -> None:
    lines = [opening_line(HOURS, actor="cli", at=NOW)]
    balance = settled_balance(lines, HOURS.unit)
    assert (balance.measure, balance.money, balance.format()) == (36000, eur("800"), "10.00 h")
    assert lines[0].amount == eur("800")
    assert balance.hours_at(None) == Decimal(10)


def test_ledger_provisional_balance_counts_pending_at_value() -> None:
    b = budget()
    settled = settled_balance([opening_line(b, actor="cli", at=NOW)], b.unit)
    pending = [Valuation(3600, 3600, eur("90"), RateSource.BUDGET_DEFAULT, eur("90"))] * 2
    assert provisional_balance(settled, pending).money == eur("1820")


def test_ledger_credit_reversal_names_the_invoice() -> None:
    b = budget()
    credit = topup_credit_line(b, invoice_id="inv-7", quantity=Decimal("300"), actor="worker", at=NOW)
    reversal = credit_reversal_line(credit, b, why="credit note booked", actor="webhook", at=NOW)
    assert (reversal.amount, reversal.invoice_id, reversal.source_key) == (
        eur("-300"),
        "inv-7",
        "uncredit:b1:inv-7",
    )
    assert "inv-7" in reversal.reason
    with pytest.raises(InvalidBudget):
        credit_reversal_line(reversal, b, why="again", actor="webhook", at=NOW)


@pytest.mark.parametrize(("quantity", "reason"), [(Decimal("5"), " "), (Decimal("0.001"), "rounding")])
def test_ledger_correction_needs_reason_and_amount(quantity: Decimal, reason: str) -> None:
    with pytest.raises(InvalidBudget):
        correction_line(budget(), quantity=quantity, reason=reason, request_id="r", actor="ann", at=NOW)


def test_ledger_lines_refuse_naive_time_and_unrounded_amounts() -> None:
    with pytest.raises(InvalidBudget, match="naive"):
        opening_line(budget(), actor="cli", at=NOW.replace(tzinfo=None))
    with pytest.raises(InvalidBudget, match="not rounded"):
        LedgerLine("b1", LineKind.CORRECTION, eur("0.001"), 0, "k", "t", NOW)


def _line(kind: LineKind, cents: int, key: str, entry_id: str | None = None) -> LedgerLine:
    return LedgerLine(
        "b1", kind, eur(str(cents)) * Decimal("0.01"), 0, key, "t", NOW + timedelta(0), entry_id
    )


def test_ledger_fifo_funding_draws_oldest_credit_first_and_gives_back_on_reversal() -> None:
    b = budget()
    lines = [
        _line(LineKind.OPENING, 1000, "open"),
        _line(LineKind.TOPUP_CREDIT, 1000, "inv1"),
        _line(LineKind.SUBTRACTION, -700, "s1", "e1"),
        _line(LineKind.SUBTRACTION, -700, "s2", "e2"),
        _line(LineKind.REVERSAL, 700, "r1", "e1"),
        _line(LineKind.SUBTRACTION, -900, "s3", "e3"),
        _line(LineKind.SUBTRACTION, -500, "s4", "e4"),
        _line(LineKind.TOPUP_CREDIT, 1000, "inv2"),
    ]
    links = set(fifo_funding(lines, b.unit))
    assert links == {
        FundingLink("s2", "open", 300),
        FundingLink("s2", "inv1", 400),
        FundingLink("s3", "open", 700),
        FundingLink("s3", "inv1", 200),
        FundingLink("s4", "inv1", 400),
        FundingLink("s4", "inv2", 100),
    }


def test_ledger_fifo_funding_leaves_unfunded_debt_visible() -> None:
    links = fifo_funding(
        [_line(LineKind.OPENING, 100, "open"), _line(LineKind.SUBTRACTION, -250, "s1", "e1")], budget().unit
    )
    assert set(links) == {FundingLink("s1", "open", 100), FundingLink("s1", None, 150)}


def test_ledger_entry_line_key_names_kind_budget_entry_and_version() -> None:
    valuation = Valuation(3600, 3600, eur("90"), RateSource.BUDGET_DEFAULT, eur("90"))
    line = entry_line(
        budget(),
        LineKind.SUBTRACTION,
        entry_id="e1",
        amount=eur("-90"),
        seconds=-3600,
        key="4",
        actor="rule:r@v1",
        at=NOW,
        valuation=valuation,
    )
    assert line.source_key == "subtraction:b1:e1:4"
    assert line.valuation == valuation
