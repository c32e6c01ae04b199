"""Rows to domain values and back: budgets, rules, time entries, allocations and ledger lines.

Decimals travel through JSON as strings and money through columns as integer cents, so nothing
is ever a float. A budget's settings live in one JSON document next to the columns that queries
filter on; its rules are immutable `budget_rule` rows named by (rule id, version) in the settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from connector.billing import (
    Allocation,
    AllocationState,
    BillingType,
    Budget,
    BudgetStatus,
    BudgetUnit,
    CreditOn,
    CustomerRef,
    CustomerType,
    DeficitPolicy,
    EntrySnapshot,
    Flag,
    Guardrails,
    LedgerLine,
    Money,
    PeriodCadence,
    PeriodSettings,
    RateSource,
    ReplenishMode,
    ReplenishSettings,
    RolloverPolicy,
    RuleMatch,
    SubtractionMode,
    SubtractionRule,
    TimeEntry,
    UnitKind,
    Valuation,
    ValuationSettings,
)
from connector.billing.money import CURRENCY_EXPONENTS

__all__ = [
    "allocation_from_row",
    "allocation_values",
    "budget_from_row",
    "budget_values",
    "customer_key",
    "entry_from_row",
    "exact_cents",
    "line_values",
    "parse_customer_key",
    "rate_cents",
    "rule_criteria",
    "rule_from_criteria",
]

_BILLING_TYPES = {t.value: t for t in BillingType}


def exact_cents(m: Money) -> int:
    """Minor units of an amount that is already rounded (ledger lines, valuations): no re-rounding."""
    return int(m.amount.scaleb(CURRENCY_EXPONENTS[m.currency]))


@lru_cache(maxsize=4096)
def rate_cents(m: Money) -> int:
    """Minor units of a rate, rounded half-up; rates repeat, so each is converted once."""
    return m.cents()


def customer_key(customer: CustomerRef | None) -> str | None:
    return None if customer is None else f"{customer.type.value}:{customer.id}"


def parse_customer_key(key: str | None) -> CustomerRef | None:
    if not key:
        return None
    kind, _, ident = key.partition(":")
    return CustomerRef(CustomerType(kind), ident)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value.value if hasattr(value, "value") else value


def _settings_doc(b: Budget) -> dict[str, Any]:
    v = b.valuation
    return {
        "hour_price": _dec(b.unit.hour_price.amount) if b.unit.hour_price else None,
        "time_zone": b.time_zone,
        "threshold": str(b.threshold),
        "opening_balance": str(b.opening_balance),
        "migrated_on": b.migrated_on.isoformat() if b.migrated_on else None,
        "valuation": {
            "default_rate": _dec(v.default_rate.amount) if v.default_rate else None,
            "user_rates": {k: str(m.amount) for k, m in v.user_rates.items()},
            "work_type_rates": {k: str(m.amount) for k, m in v.work_type_rates.items()},
            "rounding_increment_seconds": v.rounding_increment_seconds,
            "minimum_seconds": v.minimum_seconds,
        },
        "replenish": {k: _plain(x) for k, x in asdict(b.replenish).items()},
        "periods": {k: _plain(x) for k, x in asdict(b.periods).items()},
        "guardrails": {k: _plain(x) for k, x in asdict(b.guardrails).items()},
        "rules": [[rule.id, rule.version] for rule in b.rules],
    }


def budget_values(b: Budget) -> dict[str, Any]:
    """The `budget` row of a domain budget (without the audit columns)."""
    return {
        "id": b.id,
        "customer_type": b.customer.type.value,
        "customer_id": b.customer.id,
        "name": b.name,
        "unit": b.unit.kind.value,
        "currency": b.unit.currency,
        "start_on": b.start,
        "end_on": b.end,
        "status": b.status.value,
        "mode": b.mode.value,
        "threshold_measure": b.threshold_measure,
        "settings": _settings_doc(b),
        "version": b.version,
    }


def rule_criteria(rule: SubtractionRule) -> dict[str, Any]:
    return {
        "invoiceable": rule.invoiceable,
        "work_type_ids": sorted(rule.work_type_ids),
        "user_ids": sorted(rule.user_ids),
        "subject_types": sorted(rule.subject_types),
        "words": sorted(rule.words),
        "tags": sorted(rule.tags),
    }


def rule_from_criteria(rule_id: str, version: int, criteria: Mapping[str, Any]) -> SubtractionRule:
    return SubtractionRule(
        rule_id,
        version,
        invoiceable=criteria.get("invoiceable"),
        work_type_ids=frozenset(criteria.get("work_type_ids", ())),
        user_ids=frozenset(criteria.get("user_ids", ())),
        subject_types=frozenset(criteria.get("subject_types", ())),
        words=frozenset(criteria.get("words", ())),
        tags=frozenset(criteria.get("tags", ())),
    )


def _money(amount: str | None, currency: str) -> Money | None:
    return None if amount is None else Money(Decimal(amount), currency)


def budget_from_row(row: Mapping[Any, Any], rules: Mapping[tuple[str, int], SubtractionRule]) -> Budget:
    """The domain budget of a row; `rules` holds (at least) the rule versions it names."""
    doc, currency = row["settings"], row["currency"]
    v, r, p, g = doc["valuation"], doc["replenish"], doc["periods"], doc["guardrails"]
    hour_price = _money(doc["hour_price"], currency)
    return Budget(
        id=row["id"],
        customer=CustomerRef(CustomerType(row["customer_type"]), row["customer_id"]),
        name=row["name"],
        unit=BudgetUnit(UnitKind(row["unit"]), currency, hour_price),
        start=row["start_on"],
        end=row["end_on"],
        status=BudgetStatus(row["status"]),
        time_zone=doc["time_zone"],
        valuation=ValuationSettings(
            default_rate=_money(v["default_rate"], currency),
            user_rates={k: Money(Decimal(x), currency) for k, x in v["user_rates"].items()},
            work_type_rates={k: Money(Decimal(x), currency) for k, x in v["work_type_rates"].items()},
            rounding_increment_seconds=v["rounding_increment_seconds"],
            minimum_seconds=v["minimum_seconds"],
        ),
        mode=SubtractionMode(row["mode"]),
        rules=tuple(rules[(rule_id, version)] for rule_id, version in doc["rules"]),
        threshold=Decimal(doc["threshold"]),
        replenish=ReplenishSettings(
            mode=ReplenishMode(r["mode"]),
            fixed_amount=_undec(r["fixed_amount"]),
            target_balance=_undec(r["target_balance"]),
            department_id=r["department_id"],
            tax_rate_id=r["tax_rate_id"],
            payment_term_days=r["payment_term_days"],
            line_text=r["line_text"],
            book=r["book"],
            credit_on=CreditOn(r["credit_on"]),
        ),
        opening_balance=Decimal(doc["opening_balance"]),
        periods=PeriodSettings(
            cadence=PeriodCadence(p["cadence"]),
            allowance=_undec(p["allowance"]),
            anchor=date.fromisoformat(p["anchor"]) if p["anchor"] else None,
            rollover=RolloverPolicy(p["rollover"]),
            rollover_cap=_undec(p["rollover_cap"]),
            rollover_cap_share=_undec(p["rollover_cap_share"]),
            deficit=DeficitPolicy(p["deficit"]),
            writeoff_approved_by=p["writeoff_approved_by"],
            invoice_grant=p["invoice_grant"],
        ),
        guardrails=Guardrails(
            monthly_cap=_undec(g["monthly_cap"]),
            no_topup_days_before_end=g["no_topup_days_before_end"],
            pause_after_failures=g["pause_after_failures"],
            veto_hours=g["veto_hours"],
        ),
        migrated_on=date.fromisoformat(doc["migrated_on"]) if doc["migrated_on"] else None,
        version=row["version"],
    )


def entry_from_row(row: Mapping[Any, Any]) -> TimeEntry:
    """The synced `time_entry` row as the billing domain sees it."""
    customer = None
    if row["customer_id"] and row["customer_type"] in ("company", "contact"):
        customer = CustomerRef(CustomerType(row["customer_type"]), row["customer_id"])
    rate = None
    if row["hourly_rate_cents"] is not None and row["hourly_rate_currency"]:
        rate = Money(Decimal(row["hourly_rate_cents"]).scaleb(-2), row["hourly_rate_currency"])
    return TimeEntry(
        id=row["id"],
        customer=customer,
        user_id=row["user_id"] or "",
        work_type_id=row["work_type_id"],
        started_on=row["started_on"],
        started_at=row["started_at"],
        duration_seconds=max(0, row["duration_seconds"] or 0),
        description=row["description"] or "",
        subject_type=row["subject_type"],
        invoiceable=bool(row["invoiceable"]),
        billing_type=_BILLING_TYPES.get(row["billing_type"] or ""),
        billing_invoice_id=row["billing_invoice_id"],
        hourly_rate=rate,
        deleted=row["deleted_at"] is not None,
        revision=max(1, row["revision"] or 1),
    )


def _flags(text: str) -> frozenset[Flag]:
    return frozenset(Flag(f) for f in text.split(",") if f)


def allocation_from_row(row: Mapping[Any, Any], currency: str) -> Allocation:
    valuation = None
    if row["rate_cents"] is not None and row["amount_cents"] is not None:
        valuation = Valuation(
            row["duration_seconds"],
            row["rounded_seconds"],
            Money.from_cents(row["rate_cents"], currency),
            RateSource(row["rate_source"]),
            Money.from_cents(row["amount_cents"], currency),
        )
    rule = RuleMatch(row["rule_id"], row["rule_version"]) if row["rule_id"] is not None else None
    billing = row["seen_billing_type"]
    return Allocation(
        budget_id=row["budget_id"],
        entry_id=row["time_entry_id"],
        state=AllocationState(row["state"]),
        version=row["version"],
        snapshot=EntrySnapshot(
            row["seen_revision"],
            parse_customer_key(row["seen_customer"]),
            row["seen_duration_seconds"],
            bool(row["seen_invoiceable"]),
            _BILLING_TYPES.get(billing) if billing else None,
        ),
        valuation=valuation,
        rule=rule,
        flags=_flags(row["flags"]),
        kept_flags=_flags(row["kept_flags"]),
        chosen_by_person=bool(row["chosen_by_person"]),
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
