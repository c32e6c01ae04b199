"""Customers by name: tables show the synced company or contact name, `--json` adds it beside
the `company:<id>`/`contact:<id>` key that scripts pass back to `--customer`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from connector.budgets.reports import customer_names

__all__ = ["customer_key", "names_of"]


def customer_key(customer: str) -> tuple[str, str]:
    """`company:<id>` as the (type, id) pair that `customer_names` looks up."""
    kind, _, ident = customer.partition(":")
    return kind, ident


def names_of(conn: Connection, customers: Iterable[str]) -> dict[str, str]:
    """Synced names of `company:<id>`/`contact:<id>` customers; one not synced (yet) keeps its id."""
    wanted = sorted(set(customers))
    found = customer_names(conn, [customer_key(c) for c in wanted])
    return {c: found.get(customer_key(c)) or c for c in wanted}
