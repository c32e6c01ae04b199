"""How commands print: Rich tables on a terminal, one JSON document with `--json`.

JSON goes to stdout only; progress and logs go to stderr, so `prepaid ... --json | jq` works.
Money in JSON is an object a script can compute with, `{"amount": "4000.00", "currency": "EUR"}`
(the amount an exact decimal string), and hours are `{"amount": "12.50", "unit": "hours"}`; the
text a person reads travels beside it under the same key with `_display` appended.

Tables fit the terminal by wrapping: no cell is ever cut short with an ellipsis, and the columns
named as identifiers are kept on one line while the others wrap, so an id can be copied from the
table into the next command.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from connector.billing import BudgetUnit, Money, UnitKind
from connector.billing.money import CURRENCY_EXPONENTS

__all__ = [
    "console",
    "err_console",
    "hours_json",
    "measure_json",
    "money_json",
    "print_json",
    "print_table",
    "to_jsonable",
]

console = Console()
err_console = Console(stderr=True)

_HUNDREDTH = Decimal("0.01")


def money_json(money: Money) -> dict[str, str]:
    """`{"amount": "4000.00", "currency": "EUR"}`: rounded half-up to the currency's minor unit."""
    rounded = money.rounded().amount
    return {"amount": f"{rounded:.{CURRENCY_EXPONENTS[money.currency]}f}", "currency": money.currency}


def hours_json(seconds: int) -> dict[str, str]:
    """`{"amount": "12.50", "unit": "hours"}`: hours to two decimals, half-up, as the tables show
    them (the exact figure, in seconds, is the `*_measure` key beside it where there is one)."""
    hours = (Decimal(seconds) / 3600).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    return {"amount": f"{hours:f}", "unit": "hours"}


def measure_json(unit: BudgetUnit | UnitKind, currency: str, measure: int) -> dict[str, str]:
    """A budget's integer measure (cents, or seconds for an hours budget) as its JSON value."""
    kind = unit.kind if isinstance(unit, BudgetUnit) else unit
    if kind is UnitKind.HOURS:
        return hours_json(measure)
    return money_json(Money.from_cents(measure, currency))


def to_jsonable(value: Any) -> Any:
    """Decimals as strings (exact), datetimes as ISO-8601, containers recursively."""
    if isinstance(value, Money):
        return money_json(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Print one JSON document to stdout."""
    print(json.dumps(to_jsonable(value), indent=2, sort_keys=False))


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ids: Collection[str] = (),
) -> None:
    """Print a Rich table to stdout; the columns named in `ids` stay on one line, the others wrap,
    and a cell too long for any width folds onto the next line instead of being cut."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in ids)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(table)
