"""Threshold and replenish: did a change cross the threshold, how much to top up, and may we.

All comparisons are in the budget's measure (cents, or seconds for an hours budget). A top-up is
invoiced as quantity x unit price: hours at the hour price for an hours budget, one unit of the
amount for a money budget. The guardrails (issue 10) are checked here so that the invoice worker,
the forecast and the what-if all refuse a top-up for the same reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from connector.billing.budget import Budget, ReplenishMode
from connector.billing.money import Money

__all__ = ["TopUpAmount", "TopUpBlocked", "crossed", "topup_amount", "topup_blocked"]


def crossed(before: int, after: int, threshold: int) -> bool:
    """True only for the change that takes the balance from at-or-above to below the threshold."""
    return before >= threshold > after


@dataclass(frozen=True, slots=True)
class TopUpAmount:
    """What a top-up invoice says: `quantity` x `unit_price`, crediting `measure` to the budget."""

    measure: int
    quantity: Decimal
    unit_price: Money
    amount: Money
    line_text: str


def topup_amount(budget: Budget, balance: int) -> TopUpAmount | None:
    """The fixed amount, or what restores the target balance; None when nothing is owed."""
    replenish, unit = budget.replenish, budget.unit
    if replenish.fixed_amount is not None:
        measure = unit.measure(replenish.fixed_amount)
    elif replenish.target_balance is not None:
        measure = unit.measure(replenish.target_balance) - balance
    else:
        return None
    if measure <= 0:
        return None
    if unit.hour_price is not None:
        quantity, unit_price = unit.quantity(measure), unit.hour_price
        amount = unit.money_of_seconds(measure)
    else:
        amount = Money.from_cents(measure, unit.currency)
        quantity, unit_price = Decimal(1), amount
    text = replenish.line_text.format(
        budget=budget.name,
        customer=str(budget.customer),
        quantity=unit.format(measure),
        amount=amount.format(),
    )
    return TopUpAmount(measure, quantity, unit_price, amount, text)


class TopUpBlocked(StrEnum):
    """Why no top-up is created now; the values are what the budget page and notifications say."""

    NOT_AUTO = "replenish mode is one-off: warn only"
    OPEN_TOPUP = "a top-up for this budget is still open"
    MONTHLY_CAP = "the monthly cap on automatic top-ups would be exceeded"
    NEAR_END = "the budget ends within the no-top-up horizon"
    PAUSED = "automatic top-ups are paused after repeated failures"
    FAILED = "the last top-up failed and waits for a person to retry or cancel it"


def topup_blocked(
    budget: Budget,
    topup: TopUpAmount,
    *,
    today: date,
    open_topup: bool,
    invoiced_this_month: int,
    consecutive_failures: int,
) -> TopUpBlocked | None:
    """The first guardrail that stops `topup` today, or None when it may be created."""
    guard = budget.guardrails
    if budget.replenish.mode is not ReplenishMode.AUTO:
        return TopUpBlocked.NOT_AUTO
    if open_topup:
        return TopUpBlocked.OPEN_TOPUP
    if guard.pause_after_failures and consecutive_failures >= guard.pause_after_failures:
        return TopUpBlocked.PAUSED
    cap = None if guard.monthly_cap is None else budget.unit.measure(guard.monthly_cap)
    if cap is not None and invoiced_this_month + topup.measure > cap:
        return TopUpBlocked.MONTHLY_CAP
    if budget.end is not None and (budget.end - today).days < guard.no_topup_days_before_end:
        return TopUpBlocked.NEAR_END
    return None
