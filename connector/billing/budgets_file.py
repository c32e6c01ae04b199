"""The declarative budgets file (config/budgets.example.toml): parsed, validated, never half-read.

A file is accepted whole or rejected whole: the first problem raises `BudgetsFileError` with the
line and the field at fault, whether it is a TOML syntax error, an unknown or mistyped key
(pydantic), or a rule of the domain (`Budget` validation). Numbers are read as Decimal, so
`threshold = 500.10` is exact. Customers are named by exact name or by Teamleader id; resolving
a name is the service's job, so a spec builds its `Budget` once it is given the `CustomerRef`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connector.billing.budget import (
    DEFAULT_LINE_TEXT,
    DEFAULT_TIME_ZONE,
    Budget,
    BudgetStatus,
    CreditOn,
    DeficitPolicy,
    Guardrails,
    PeriodCadence,
    PeriodSettings,
    ReplenishMode,
    ReplenishSettings,
    RolloverPolicy,
    SubtractionMode,
)
from connector.billing.entries import CustomerRef, CustomerType
from connector.billing.errors import BudgetsFileError, InvalidBudget, MoneyError
from connector.billing.money import Money
from connector.billing.rules import SubtractionRule
from connector.billing.toml_lines import TomlLines
from connector.billing.units import BudgetUnit, UnitKind
from connector.billing.valuation import ValuationSettings

__all__ = ["BudgetSpec", "parse_budgets_file"]

_AT_LINE = re.compile(r"at line (\d+)")
_PLACEHOLDER = CustomerRef(CustomerType.COMPANY, "unresolved")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _CustomerId(_Model):
    type: CustomerType
    id: str = Field(min_length=1)


class _Valuation(_Model):
    default_rate: Decimal | None = None
    user_rates: dict[str, Decimal] = {}
    work_type_rates: dict[str, Decimal] = {}
    rounding_minutes: int = Field(0, ge=0)
    minimum_minutes: int = Field(0, ge=0)


class _Rule(_Model):
    id: str = Field(min_length=1)
    invoiceable: bool | None = None
    work_types: list[str] = []
    users: list[str] = []
    subject_types: list[str] = []
    words: list[str] = []
    tags: list[str] = []


class _Replenish(_Model):
    mode: ReplenishMode = ReplenishMode.ONE_OFF
    fixed_amount: Decimal | None = None
    target_balance: Decimal | None = None
    department_id: str | None = None
    tax_rate_id: str | None = None
    payment_term_days: int = 30
    line_text: str = DEFAULT_LINE_TEXT
    book: bool = True
    credit_on: CreditOn = CreditOn.BOOKED


class _Periods(_Model):
    cadence: PeriodCadence = PeriodCadence.NONE
    allowance: Decimal | None = None
    anchor: date | None = None
    rollover: RolloverPolicy = RolloverPolicy.ALL
    rollover_cap: Decimal | None = None
    rollover_cap_share: Decimal | None = None
    deficit: DeficitPolicy = DeficitPolicy.CARRY
    writeoff_approved_by: str | None = None
    invoice_grant: bool = False


class _Guardrails(_Model):
    monthly_cap: Decimal | None = None
    no_topup_days_before_end: int = 0
    pause_after_failures: int = 3
    veto_hours: int = 0


class _Budget(_Model):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str
    customer: str | _CustomerId
    unit: UnitKind = UnitKind.MONEY
    currency: str = "EUR"
    hour_price: Decimal | None = None
    start: date
    end: date | None = None
    status: BudgetStatus = BudgetStatus.ACTIVE
    time_zone: str = DEFAULT_TIME_ZONE
    mode: SubtractionMode = SubtractionMode.MANUAL
    threshold: Decimal = Decimal(0)
    opening_balance: Decimal = Decimal(0)
    migrated_on: date | None = None
    show_people_to_customer: bool = False
    valuation: _Valuation = _Valuation()
    rules: list[_Rule] = []
    replenish: _Replenish = _Replenish()
    periods: _Periods = _Periods()
    guardrails: _Guardrails = _Guardrails()


class _File(_Model):
    budget: list[_Budget] = Field(min_length=1)


@dataclass(frozen=True)
class BudgetSpec:
    """One budget as the file wants it; `build` gives the domain budget once the customer is known."""

    id: str
    customer_id: CustomerRef | None
    customer_name: str | None
    line: int | None
    template: Budget

    def build(self, customer: CustomerRef, *, version: int = 1) -> Budget:
        return replace(self.template, customer=customer, version=version)


def _rate(value: Decimal | None, currency: str) -> Money | None:
    return None if value is None else Money(value, currency)


def _budget(model: _Budget) -> Budget:
    money = model.currency
    price = _rate(model.hour_price, money)
    unit = BudgetUnit(model.unit, money, price)
    v = model.valuation
    valuation = ValuationSettings(
        default_rate=_rate(v.default_rate, money),
        user_rates={k: Money(r, money) for k, r in v.user_rates.items()},
        work_type_rates={k: Money(r, money) for k, r in v.work_type_rates.items()},
        rounding_increment_seconds=v.rounding_minutes * 60,
        minimum_seconds=v.minimum_minutes * 60,
    )
    rules = tuple(
        SubtractionRule(
            r.id,
            invoiceable=r.invoiceable,
            work_type_ids=frozenset(r.work_types),
            user_ids=frozenset(r.users),
            subject_types=frozenset(r.subject_types),
            words=frozenset(r.words),
            tags=frozenset(r.tags),
        )
        for r in model.rules
    )
    return Budget(
        id=model.id,
        customer=_PLACEHOLDER,
        name=model.name,
        unit=unit,
        start=model.start,
        end=model.end,
        status=model.status,
        time_zone=model.time_zone,
        valuation=valuation,
        mode=model.mode,
        rules=rules,
        threshold=model.threshold,
        replenish=ReplenishSettings(**model.replenish.model_dump()),
        opening_balance=model.opening_balance,
        periods=PeriodSettings(**model.periods.model_dump()),
        guardrails=Guardrails(**model.guardrails.model_dump()),
        migrated_on=model.migrated_on,
        show_people_to_customer=model.show_people_to_customer,
    )


_FILE_FIELDS = {"rounding_increment_seconds": "rounding_minutes", "minimum_seconds": "minimum_minutes"}


def _domain_path(index: int, field: str) -> tuple[str | int, ...]:
    """A domain field name ('valuation.user_rates.u1') as a path in the file."""
    parts: list[str | int] = ["budget", index]
    for part in field.split("."):
        parts.append(_FILE_FIELDS.get(part, part))
    return tuple(parts)


def _field_name(loc: tuple[str | int, ...]) -> str:
    """('budget', 1, 'rules', 0, 'tags') reads as 'budget[1].rules[0].tags'."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


def parse_budgets_file(text: str, path: str = "budgets.toml") -> list[BudgetSpec]:
    """Every budget of the file, or `BudgetsFileError` for the first problem (with its line)."""
    try:
        document = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        found = _AT_LINE.search(str(error))
        raise BudgetsFileError(path, int(found.group(1)) if found else None, "syntax", str(error)) from None
    lines = TomlLines(text)
    try:
        parsed = _File.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        raise BudgetsFileError(path, lines.line_of(loc), _field_name(loc), first["msg"]) from None
    specs: list[BudgetSpec] = []
    seen: set[str] = set()
    for index, model in enumerate(parsed.budget):
        line = lines.line_of(("budget", index))
        if model.id in seen:
            raise BudgetsFileError(
                path, lines.line_of(("budget", index, "id")), "id", f"budget id {model.id!r} twice"
            )
        seen.add(model.id)
        try:
            template = _budget(model)
        except InvalidBudget as error:
            at = lines.line_of(_domain_path(index, error.field))
            raise BudgetsFileError(path, at, error.field, error.reason) from None
        except MoneyError as error:
            raise BudgetsFileError(
                path, lines.line_of(("budget", index, "currency")), "currency", str(error)
            ) from None
        by_id = model.customer if isinstance(model.customer, _CustomerId) else None
        customer_id = CustomerRef(by_id.type, by_id.id) if by_id else None
        name = model.customer if isinstance(model.customer, str) else None
        specs.append(BudgetSpec(model.id, customer_id, name, line, template))
    return specs
