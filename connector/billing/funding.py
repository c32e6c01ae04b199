"""FIFO funding: which credits paid for which subtractions, computed from the ledger alone.

Credits (opening, top-ups, grants, positive corrections) form a queue, oldest first. A debit
(subtraction, negative adjustment or correction, expiry, credit reversal) draws from the oldest
credit with something left; what no credit covers is unfunded until the next credit arrives.
A reversal or positive adjustment gives back to the credits that funded that entry, newest first,
so a later subtraction is funded as if the reversed one had never been. Nothing is stored: the
statement recomputes this from the lines, in ledger order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connector.billing.ledger import LedgerLine
from connector.billing.units import BudgetUnit

__all__ = ["FundingLink", "fifo_funding"]


@dataclass(frozen=True, slots=True)
class FundingLink:
    """`measure` of the debit line `debit_key` was paid by credit `credit_key` (None: unfunded)."""

    debit_key: str
    credit_key: str | None
    measure: int


class _Funding:
    def __init__(self) -> None:
        self.remaining: dict[str, int] = {}
        self.unfunded: dict[str, int] = {}
        self.links: dict[str, dict[str | None, int]] = {}
        self.entry_debits: dict[str, list[str]] = {}

    def link(self, debit: str, credit: str | None, measure: int) -> None:
        by_credit = self.links.setdefault(debit, {})
        by_credit[credit] = by_credit.get(credit, 0) + measure
        if by_credit[credit] == 0:
            del by_credit[credit]

    def credit(self, key: str, measure: int) -> None:
        self.remaining[key] = measure
        for debit, owed in list(self.unfunded.items()):
            paid = min(owed, self.remaining[key])
            if paid == 0:
                break
            self.remaining[key] -= paid
            self.unfunded[debit] -= paid
            self.link(debit, None, -paid)
            self.link(debit, key, paid)
            if self.unfunded[debit] == 0:
                del self.unfunded[debit]

    def debit(self, key: str, measure: int, entry_id: str | None) -> None:
        if entry_id is not None:
            self.entry_debits.setdefault(entry_id, []).append(key)
        for credit, left in self.remaining.items():
            paid = min(left, measure)
            if paid:
                self.remaining[credit] -= paid
                self.link(key, credit, paid)
                measure -= paid
            if measure == 0:
                return
        self.unfunded[key] = measure
        self.link(key, None, measure)

    def give_back(self, entry_id: str, measure: int) -> int:
        for debit in reversed(self.entry_debits.get(entry_id, [])):
            owed = self.unfunded.get(debit, 0)
            back = min(owed, measure)
            if back:
                self.unfunded[debit] -= back
                if self.unfunded[debit] == 0:
                    del self.unfunded[debit]
                self.link(debit, None, -back)
                measure -= back
            for credit in reversed(list(self.links.get(debit, {}))):
                if credit is None or measure == 0:
                    continue
                back = min(self.links[debit][credit], measure)
                self.remaining[credit] += back
                self.link(debit, credit, -back)
                measure -= back
            if measure == 0:
                break
        return measure


def fifo_funding(lines: Iterable[LedgerLine], unit: BudgetUnit) -> list[FundingLink]:
    """For each debit line, the credits that funded it (what is still funded after give-backs)."""
    state = _Funding()
    for line in lines:
        measure = line.measure(unit)
        if measure > 0 and line.entry_id is not None:
            measure = state.give_back(line.entry_id, measure)
        if measure > 0:
            state.credit(line.source_key, measure)
        elif measure < 0:
            state.debit(line.source_key, -measure, line.entry_id)
    return [
        FundingLink(debit, credit, measure)
        for debit, by_credit in state.links.items()
        for credit, measure in by_credit.items()
    ]
