"""Write-back: the settled and provisional balances shown on the customer's record in Teamleader.

When `PREPAID_WRITEBACK_FIELD` names a custom field of companies and contacts (by definition id
or by label), each run of the job computes every customer's balances from the ledger (the same
SQL sums as everywhere else) and updates the field of those whose value differs from what was
last written (`balance_writeback`). The comparison is the coalescing: however many ledger lines
a customer got since the last run, the run makes one `companies.update` or `contacts.update`
call for it, and none when nothing changed. Updates send `custom_fields_update_strategy:
partial`, so the customer's other custom fields are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, insert, select, update

from connector.billing import Money, UnitKind
from connector.budgets.reports import BalanceRow, balance_rows
from connector.clock import SYSTEM_CLOCK, Now
from connector.errors import ConfigError
from connector.logging import get_logger
from connector.storage.tables.writeback import balance_writeback
from connector.teamleader.errors import TeamleaderError

__all__ = ["BalanceWriteback", "CustomerFields", "FieldTarget", "field_value"]

_log = get_logger(__name__)
_CONTEXTS = ("company", "contact")
_NUMBER_TYPES = frozenset({"number", "integer", "money", "auto_increment"})


class CustomerFields(Protocol):
    """What the write-back needs of the Teamleader client."""

    def call(self, endpoint: str, body: Mapping[str, Any] | None = None) -> Any: ...

    def update_company(self, company_id: str, **fields: Any) -> None: ...

    def update_contact(self, contact_id: str, **fields: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class FieldTarget:
    """The custom field definition written for one context (company or contact)."""

    context: str
    id: str
    type: str

    @property
    def is_number(self) -> bool:
        return self.type in _NUMBER_TYPES


def field_value(target: FieldTarget, rows: list[BalanceRow]) -> str:
    """What the field shows: both balances as text, or the settled amount in a number field."""
    if target.is_number:
        total, first = sum(r.settled for r in rows), rows[0]
        if first.unit is UnitKind.HOURS:
            return str((Decimal(total) / 3600).quantize(Decimal("0.01")))
        return str(Money.from_cents(total, first.currency).amount)
    return "; ".join(f"settled {r.format(r.settled)} / provisional {r.format(r.provisional)}" for r in rows)


class BalanceWriteback:
    """The job: `run_once()` writes what changed since the last run and returns the calls made."""

    def __init__(
        self,
        engine: Engine,
        client: CustomerFields,
        field: str,
        *,
        clock: Now = SYSTEM_CLOCK.now,
    ) -> None:
        self._engine = engine
        self._client = client
        self._field = field
        self._clock = clock
        self._targets: dict[str, FieldTarget] | None = None

    def targets(self) -> dict[str, FieldTarget]:
        """The field's definition per context, read once from `customFieldDefinitions.list`."""
        if self._targets is None:
            found: dict[str, FieldTarget] = {}
            answer = self._client.call("customFieldDefinitions.list", {"page": {"size": 100, "number": 1}})
            for item in answer.get("data", []):
                context = item.get("context")
                if context in _CONTEXTS and self._field in (item.get("id"), item.get("label")):
                    found.setdefault(context, FieldTarget(context, item["id"], item.get("type", "")))
            if not found:
                raise ConfigError(
                    f"PREPAID_WRITEBACK_FIELD={self._field!r} is neither the id nor the label of a "
                    "company or contact custom field in Teamleader; create the field there (Settings > "
                    "Custom fields) or unset the variable"
                )
            self._targets = found
        return self._targets

    def _wanted(self, conn: Connection) -> dict[tuple[str, str], list[BalanceRow]]:
        by_customer: dict[tuple[str, str], list[BalanceRow]] = {}
        for row in balance_rows(conn):
            if row.status == "active":
                kind, _, ident = row.customer.partition(":")
                by_customer.setdefault((kind, ident), []).append(row)
        return by_customer

    def run_once(self) -> int:
        """Update every customer whose balances changed since the last write; the calls made."""
        targets = self.targets()
        with self._engine.connect() as conn:
            wanted = self._wanted(conn)
            written = {
                (r.customer_type, r.customer_id): (r.field_id, r.written_value)
                for r in conn.execute(select(balance_writeback))
            }
        calls = 0
        for (kind, ident), rows in sorted(wanted.items()):
            target = targets.get(kind)
            if target is None:
                continue
            value = field_value(target, rows)
            if written.get((kind, ident)) == (target.id, value):
                continue
            calls += 1
            self._write(kind, ident, target, value, known=(kind, ident) in written)
        return calls

    def _write(self, kind: str, ident: str, target: FieldTarget, value: str, *, known: bool) -> None:
        fields = {
            "custom_fields": [{"id": target.id, "value": value}],
            "custom_fields_update_strategy": "partial",
        }
        values: dict[str, Any]
        try:
            if kind == "company":
                self._client.update_company(ident, **fields)
            else:
                self._client.update_contact(ident, **fields)
        except TeamleaderError as error:
            _log.warning("writeback.failed", customer=f"{kind}:{ident}", error=str(error))
            values = {"last_error": str(error)[:2000], "failures": balance_writeback.c.failures + 1}
        else:
            values = {"field_id": target.id, "written_value": value, "written_at": self._clock()}
            values |= {"failures": 0, "last_error": None}
        with self._engine.begin() as conn:
            key = (balance_writeback.c.customer_type == kind) & (balance_writeback.c.customer_id == ident)
            if known:
                conn.execute(update(balance_writeback).where(key).values(**values))
            else:
                row = {"customer_type": kind, "customer_id": ident, "field_id": target.id, "failures": 0}
                if "written_value" in values:
                    row |= values
                else:
                    row |= {"failures": 1, "last_error": values["last_error"]}
                conn.execute(insert(balance_writeback).values(**row))
