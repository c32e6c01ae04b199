"""Time entry, allocation and ledger line rows to domain values and back.

Money travels through columns as integer cents, so nothing is ever a float. Time entries and
allocations are read a million at a time when a sync applies rules, so they are decoded from plain
tuples in the order of `ENTRY_FIELDS` and `ALLOCATION_FIELDS` (the queries select exactly those
columns), and the small immutable values they repeat (customers, flag sets, rates) are decoded once
and shared. Budgets, read a few at a time, have their own codec (`connector.budgets.budget_codec`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from connector.billing import (
    Allocation,
    AllocationState,
    BillingType,
    CustomerRef,
    CustomerType,
    EntrySnapshot,
    Flag,
    LedgerLine,
    Money,
    RateSource,
    RuleMatch,
    TimeEntry,
    Valuation,
)
from connector.billing.money import CURRENCY_EXPONENTS

__all__ = [
    "ALLOCATION_FIELDS",
    "ENTRY_FIELDS",
    "allocation_from_row",
    "allocation_from_values",
    "allocation_values",
    "customer_key",
    "entry_from_row",
    "entry_from_values",
    "exact_cents",
    "line_values",
    "parse_customer_key",
    "rate_cents",
]

_BILLING_TYPES = {t.value: t for t in BillingType}
_CUSTOMER_TYPES = {t.value: t for t in CustomerType}
_STATES = {s.value: s for s in AllocationState}
_RATE_SOURCES = {s.value: s for s in RateSource}

ENTRY_FIELDS = (
    "id",
    "user_id",
    "work_type_id",
    "started_on",
    "started_at",
    "duration_seconds",
    "description",
    "subject_type",
    "customer_type",
    "customer_id",
    "invoiceable",
    "billing_type",
    "billing_invoice_id",
    "hourly_rate_cents",
    "hourly_rate_currency",
    "revision",
    "deleted_at",
)

ALLOCATION_FIELDS = (
    "budget_id",
    "time_entry_id",
    "state",
    "version",
    "seen_revision",
    "seen_customer",
    "seen_duration_seconds",
    "seen_invoiceable",
    "seen_billing_type",
    "duration_seconds",
    "rounded_seconds",
    "rate_cents",
    "rate_source",
    "amount_cents",
    "rule_id",
    "rule_version",
    "flags",
    "kept_flags",
    "chosen_by_person",
)


def exact_cents(m: Money) -> int:
    """Minor units of an amount that is already rounded (ledger lines, valuations): no re-rounding."""
    return int(m.amount.scaleb(CURRENCY_EXPONENTS[m.currency]))


@lru_cache(maxsize=4096)
def rate_cents(m: Money) -> int:
    """Minor units of a rate, rounded half-up; rates repeat, so each is converted once."""
    return m.cents()


def customer_key(customer: CustomerRef | None) -> str | None:
    return None if customer is None else f"{customer.type.value}:{customer.id}"


@lru_cache(maxsize=65536)
def parse_customer_key(key: str | None) -> CustomerRef | None:
    if not key:
        return None
    kind, _, ident = key.partition(":")
    return CustomerRef(CustomerType(kind), ident)


@lru_cache(maxsize=65536)
def _customer(kind: str, ident: str) -> CustomerRef:
    return CustomerRef(_CUSTOMER_TYPES[kind], ident)


@lru_cache(maxsize=4096)
def _cents_money(cents: int, currency: str) -> Money:
    return Money.from_cents(cents, currency)


def entry_from_row(row: Mapping[Any, Any]) -> TimeEntry:
    """The synced `time_entry` row as the billing domain sees it."""
    return entry_from_values(tuple(row[name] for name in ENTRY_FIELDS))


def entry_from_values(values: Sequence[Any]) -> TimeEntry:
    """`entry_from_row` for the values of `ENTRY_FIELDS`, in that order."""
    (
        entry_id,
        user_id,
        work_type_id,
        started_on,
        started_at,
        duration,
        description,
        subject_type,
        customer_type,
        customer_id,
        invoiceable,
        billing_type,
        billing_invoice_id,
        rate_cents_,
        rate_currency,
        revision,
        deleted_at,
    ) = values
    customer = None
    if customer_id and customer_type in _CUSTOMER_TYPES:
        customer = _customer(customer_type, customer_id)
    rate = None
    if rate_cents_ is not None and rate_currency:
        rate = Money(Decimal(rate_cents_).scaleb(-2), rate_currency)
    return TimeEntry(
        id=entry_id,
        customer=customer,
        user_id=user_id or "",
        work_type_id=work_type_id,
        started_on=started_on,
        started_at=started_at,
        duration_seconds=max(0, duration or 0),
        description=description or "",
        subject_type=subject_type,
        invoiceable=bool(invoiceable),
        billing_type=_BILLING_TYPES.get(billing_type or ""),
        billing_invoice_id=billing_invoice_id,
        hourly_rate=rate,
        deleted=deleted_at is not None,
        revision=max(1, revision or 1),
    )


@lru_cache(maxsize=256)
def _flags(text: str) -> frozenset[Flag]:
    return frozenset(Flag(f) for f in text.split(",") if f)


def allocation_from_row(row: Mapping[Any, Any], currency: str) -> Allocation:
    return allocation_from_values(tuple(row[name] for name in ALLOCATION_FIELDS), currency)


def allocation_from_values(values: Sequence[Any], currency: str) -> Allocation:
    """`allocation_from_row` for the values of `ALLOCATION_FIELDS`, in that order."""
    (
        budget_id,
        entry_id,
        state,
        version,
        seen_revision,
        seen_customer,
        seen_duration,
        seen_invoiceable,
        billing,
        duration,
        rounded,
        rate,
        rate_source,
        amount,
        rule_id,
        rule_version,
        flags,
        kept_flags,
        chosen_by_person,
    ) = values
    valuation = None
    if rate is not None and amount is not None:
        valuation = Valuation(
            duration,
            rounded,
            _cents_money(rate, currency),
            _RATE_SOURCES[rate_source],
            Money.from_cents(amount, currency),
        )
    return Allocation(
        budget_id=budget_id,
        entry_id=entry_id,
        state=_STATES[state],
        version=version,
        snapshot=EntrySnapshot(
            seen_revision,
            parse_customer_key(seen_customer),
            seen_duration,
            bool(seen_invoiceable),
            _BILLING_TYPES.get(billing) if billing else None,
        ),
        valuation=valuation,
        rule=RuleMatch(rule_id, rule_version) if rule_id is not None else None,
        flags=_flags(flags),
        kept_flags=_flags(kept_flags),
        chosen_by_person=bool(chosen_by_person),
    )


def allocation_values(
    a: Allocation, *, pending: tuple[int, int] | None, needs_rate: bool, note: str, actor: str, at: datetime
) -> dict[str, Any]:
    """The `entry_allocation` row; `pending` is the (cents, seconds) a pending entry is worth."""
    v, s = a.valuation, a.snapshot
    return {
        "budget_id": a.budget_id,
        "time_entry_id": a.entry_id,
        "state": a.state.value,
        "version": a.version,
        "seen_revision": s.revision,
        "seen_customer": customer_key(s.customer),
        "seen_duration_seconds": s.duration_seconds,
        "seen_invoiceable": s.invoiceable,
        "seen_billing_type": s.billing_type.value if s.billing_type else None,
        "duration_seconds": v.duration_seconds if v else None,
        "rounded_seconds": v.rounded_seconds if v else None,
        "rate_cents": rate_cents(v.rate) if v else None,
        "rate_source": v.rate_source.value if v else None,
        "amount_cents": exact_cents(v.amount) if v else None,
        "pending_cents": pending[0] if pending else None,
        "pending_seconds": pending[1] if pending else None,
        "needs_rate": needs_rate,
        "rule_id": a.rule.rule_id if a.rule else None,
        "rule_version": a.rule.version if a.rule else None,
        "flags": ",".join(sorted(f.value for f in a.flags)),
        "kept_flags": ",".join(sorted(f.value for f in a.kept_flags)),
        "chosen_by_person": a.chosen_by_person,
        "note": note[:500] or None,
        "updated_at": at,
        "updated_by": actor[:200],
    }


def line_values(line: LedgerLine) -> dict[str, Any]:
    """The `ledger_line` row of a domain line."""
    v = line.valuation
    return {
        "budget_id": line.budget_id,
        "kind": line.kind.value,
        "amount_cents": exact_cents(line.amount),
        "currency": line.amount.currency,
        "seconds": line.seconds,
        "source_key": line.source_key,
        "actor": line.actor[:200],
        "at": line.at,
        "time_entry_id": line.entry_id,
        "invoice_id": line.invoice_id,
        "duration_seconds": v.duration_seconds if v else None,
        "rounded_seconds": v.rounded_seconds if v else None,
        "rate_cents": rate_cents(v.rate) if v else None,
        "rate_source": v.rate_source.value if v else None,
        "rule_id": line.rule.rule_id if line.rule else None,
        "rule_version": line.rule.version if line.rule else None,
        "reason": line.reason,
        "details": dict(line.details) or None,
    }
