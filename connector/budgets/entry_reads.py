"""Reads by time entry id: the synced entries and their allocations in every budget.

Everything takes an open `Connection`, so the caller decides the transaction. The sync hands over
thousands of entries at once and a round trip per entry would not scale, so reads come in batches:
on SQLite `IN` lists of at most `CHUNK` ids, on PostgreSQL one id array (see `rows_by_ids`). Rows are
selected as the codec's plain tuples (`connector.budgets.entry_codec`), which decode fastest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import ARRAY, ColumnElement, Connection, Row, String, bindparam, func, select

from connector.billing import Allocation, TimeEntry
from connector.budgets.entry_codec import (
    ALLOCATION_FIELDS,
    ENTRY_FIELDS,
    allocation_from_values,
    entry_from_values,
)
from connector.storage.tables.budgets import entry_allocation
from connector.storage.tables.sync import time_entry

__all__ = [
    "CHUNK",
    "allocation_rows",
    "allocations_of",
    "chunks",
    "entries_by_id",
    "load_allocations",
    "rows_by_ids",
]

CHUNK = 900
T = TypeVar("T")


_ENTRY_COLUMNS = [time_entry.c[name] for name in ENTRY_FIELDS]
_ALLOCATION_COLUMNS = [entry_allocation.c[name] for name in ALLOCATION_FIELDS]


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def rows_by_ids(
    conn: Connection, columns: Sequence[ColumnElement[Any]], key: ColumnElement[Any], ids: Sequence[str]
) -> Iterator[Row[Any]]:
    """The `columns` of every row whose `key` is one of `ids`, in batches the database plans well.

    SQLite takes `IN` lists of at most `CHUNK` ids. On PostgreSQL the ids travel as one array
    joined by the index: a long `IN` list of parameters, once the statement is prepared, can be
    planned as a scan of the whole table that compares every row with every id (measured: 3 s a
    query at 200,000 allocations, and 23 ms for each 900 time entries).
    """
    if conn.dialect.name == "postgresql":
        wanted = (
            func.unnest(bindparam("ids", type_=ARRAY(String)))
            .table_valued("id")
            .render_derived(name="wanted")
        )
        yield from conn.execute(select(*columns).join(wanted, wanted.c.id == key), {"ids": list(ids)})
        return
    for part in chunks(ids):
        yield from conn.execute(select(*columns).where(key.in_(list(part))))


def entries_by_id(conn: Connection, ids: Sequence[str]) -> dict[str, TimeEntry]:
    return {row[0]: entry_from_values(row) for row in rows_by_ids(conn, _ENTRY_COLUMNS, time_entry.c.id, ids)}


def allocation_rows(conn: Connection, entry_ids: Sequence[str]) -> list[Row[Any]]:
    """The raw `ALLOCATION_FIELDS` of every allocation of these entries, in any budget."""
    return list(rows_by_ids(conn, _ALLOCATION_COLUMNS, entry_allocation.c.time_entry_id, entry_ids))


def allocations_of(
    rows: Iterable[Sequence[Any]], currencies: Mapping[str, str]
) -> dict[tuple[str, str], Allocation]:
    """`allocation_rows` decoded, keyed by (budget id, entry id); budgets not in `currencies` are
    left out."""
    found: dict[tuple[str, str], Allocation] = {}
    for row in rows:
        currency = currencies.get(row[0])
        if currency is not None:
            found[(row[0], row[1])] = allocation_from_values(row, currency)
    return found


def load_allocations(
    conn: Connection, entry_ids: Sequence[str], currencies: Mapping[str, str]
) -> dict[tuple[str, str], Allocation]:
    """Every allocation of these entries, keyed by (budget id, entry id)."""
    return allocations_of(allocation_rows(conn, entry_ids), currencies)
