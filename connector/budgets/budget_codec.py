"""Budget rows to domain budgets and back: the settings document and the rule versions it names.

A budget's settings live in one JSON document next to the columns that queries filter on, and
decimals travel through that JSON as strings, so nothing is ever a float. Its rules are immutable
`budget_rule` rows named by (rule id, version) in the settings. Budgets are read a few at a time
and their document changes with every new setting, while entries and allocations are read a
million at a time (`connector.budgets.entry_codec`): kept apart, a new setting never touches the
sync's hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from connector.billing import (
    Budget,
    BudgetStatus,
    BudgetUnit,
    CreditOn,
    CustomerRef,
    CustomerType,
    DeficitPolicy,
    Guardrails,
    Money,
    PeriodCadence,
    PeriodSettings,
    ReplenishMode,
    ReplenishSettings,
    RolloverPolicy,
    SubtractionMode,
    SubtractionRule,
    UnitKind,
    ValuationSettings,
)

__all__ = [
    "budget_from_row",
    "budget_values",
    "rule_criteria",
    "rule_from_criteria",
]


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
        "show_people_to_customer": b.show_people_to_customer,
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
        show_people_to_customer=bool(doc.get("show_people_to_customer", False)),
        version=row["version"],
    )
