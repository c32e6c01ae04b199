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

from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

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
_UNBOUNDED = 1_000_000
"""A width no table reaches: its measure then says how wide it must at least be."""


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
    """Print a Rich table to stdout, fitted to the terminal without cutting anything short.

    The columns named in `ids` keep each value on one line, the others wrap; when even that is
    wider than the terminal, each row is printed as a record (one `column  value` line per
    column) instead, as `psql` does, so every id stays whole and can be copied."""
    cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
    table = Table(title=title)
    for index, column in enumerate(columns):
        whole = column in ids
        longest = max((cell_len(Text.from_markup(row[index]).plain) for row in cells), default=0)
        table.add_column(column, overflow="fold", no_wrap=whole, min_width=longest if whole else None)
    for row in cells:
        table.add_row(*row)
    unbounded = console.options.update_width(_UNBOUNDED)
    if Measurement.get(console, unbounded, table).minimum <= console.width:
        console.print(table)
        return
    console.print(f"{title} (one record a row: the terminal is too narrow for the table)", markup=False)
    for row in cells:
        record = Table.grid(padding=(0, 2))
        record.add_column(style="bold", no_wrap=True)
        record.add_column(overflow="fold")
        for column, cell in zip(columns, row, strict=True):
            record.add_row(Text(column), cell)
        console.print()
        console.print(record)
