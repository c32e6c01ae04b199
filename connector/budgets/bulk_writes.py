"""Bulk writes of allocations and ledger lines: one driver-level operation per statement.

Everything takes an open `Connection`, so the caller decides the transaction. The sync hands over
thousands of entries at once, so new rows go in by one `executemany` (SQLite) or one COPY
(PostgreSQL) per table, and allocation updates by one `executemany`. Allocation updates compare
and swap on `version`; a lost race shows as a row count that does not match, which the caller
turns into a retry or a clear message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Table, and_, bindparam, insert, update
from sqlalchemy.exc import IntegrityError

from connector.billing import LedgerLine
from connector.budgets.entry_codec import line_values
from connector.storage.tables.budgets import entry_allocation, ledger_line

__all__ = [
    "bulk_insert",
    "insert_allocations",
    "insert_line_rows",
    "insert_lines",
    "update_allocations",
]


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows with the same keys in one driver-level operation, past SQLAlchemy's per-row work.

    SQLAlchemy's per-row parameter processing costs more than the insert itself at a million
    rows, so each column's own bind processor (UTC datetimes, JSON) is applied here and the
    stored values are exactly what `insert()` stores. SQLite then takes one `executemany`;
    PostgreSQL takes a COPY, which costs a fraction of as many INSERT statements even
    pipelined. A unique key already taken raises SQLAlchemy's `IntegrityError` either way, and
    the caller's transaction rolls back the whole batch.
    """
    if not rows:
        return
    keys = list(rows[0].keys())
    if conn.dialect.name == "postgresql":
        _copy(conn, table, keys, _processed(conn, table, keys, rows))
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=keys)
    order = list(compiled.positiontup or ())
    conn.exec_driver_sql(str(compiled), [tuple(values) for values in _processed(conn, table, order, rows)])


def _processed(
    conn: Connection, table: Table, order: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> list[list[Any]]:
    """The rows' values in `order`, through each column's bind processor. Only the columns that
    have one are touched, and a value identical to the previous one (the batch's shared
    timestamp) is not processed again: processors are pure."""
    processed = [
        (index, processor)
        for index, key in enumerate(order)
        if (processor := table.c[key].type.bind_processor(conn.dialect)) is not None
    ]
    if len(order) > 1:
        values_of = itemgetter(*order)
        params: list[list[Any]] = [list(values_of(row)) for row in rows]
    else:
        params = [[row[key] for key in order] for row in rows]
    for index, processor in processed:
        last_raw: Any = None
        last: Any = None
        for values in params:
            raw = values[index]
            if raw is None:
                continue
            if raw is not last_raw:
                last_raw, last = raw, processor(raw)
            values[index] = last
    return params


def _copy(conn: Connection, table: Table, keys: Sequence[str], params: Sequence[list[Any]]) -> None:
    """PostgreSQL's COPY FROM STDIN on the connection's own transaction (psycopg 3). JSON
    documents go as their text: psycopg adapts a dict for a parameter, not in a COPY row."""
    documents = [i for i, key in enumerate(keys) if isinstance(table.c[key].type, JSON)]
    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(k) for k in keys)}) FROM STDIN"
    driver = conn.connection.driver_connection
    assert driver is not None, "an open connection has its driver connection"
    try:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            for values in params:
                for i in documents:
                    if values[i] is not None:
                        values[i] = json.dumps(values[i])
                copy.write_row(values)
    except conn.dialect.dbapi.IntegrityError as error:  # type: ignore[union-attr]
        raise IntegrityError(sql, None, error) from error


def insert_allocations(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    bulk_insert(conn, entry_allocation, rows)


_CAS = (
    update(entry_allocation)
    .where(
        and_(
            entry_allocation.c.budget_id == bindparam("b_budget_id"),
            entry_allocation.c.time_entry_id == bindparam("b_time_entry_id"),
            entry_allocation.c.version == bindparam("b_expected_version"),
        )
    )
    .values(
        {
            column.name: bindparam(column.name)
            for column in entry_allocation.c
            if column.name not in ("budget_id", "time_entry_id")
        }
    )
)


def update_allocations(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
    """Compare-and-swap updates (each row holds `expected_version`); how many rows matched."""
    if not rows:
        return 0
    params = []
    for row in rows:
        values = {k: v for k, v in row.items() if k not in ("budget_id", "time_entry_id", "expected_version")}
        values.update(
            b_budget_id=row["budget_id"],
            b_time_entry_id=row["time_entry_id"],
            b_expected_version=row["expected_version"],
        )
        params.append(values)
    if len(params) == 1:
        return int(conn.execute(_CAS, params[0]).rowcount)
    return int(conn.execute(_CAS, params).rowcount)


def insert_lines(conn: Connection, lines: Iterable[LedgerLine]) -> None:
    insert_line_rows(conn, [line_values(line) for line in lines])


def insert_line_rows(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    bulk_insert(conn, ledger_line, rows)
