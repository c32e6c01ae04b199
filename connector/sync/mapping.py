"""Turning Teamleader payloads into rows of the local copy (pure functions, no I/O).

Each mapper keeps the payload as `raw` (audit) and lifts the fields that queries need into
columns. The content hash covers the whole payload, so any change Teamleader makes to a row is
noticed, and the time entry's `revision` grows only when something really changed.

A time entry's customer comes from its payload (`subject`, `relates_to`) or from a lookup of its
subject (`lookup`), which may be pending or have failed (`unresolved`: retried by every sync) or
may have said definitively that there is none (`none`). When the customer does not come from the
payload, the hash covers the customer too, so a lookup that changes it is a change of the entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = [
    "CUSTOMER_TYPES",
    "LOOKED_UP",
    "LOOKUP_SUBJECTS",
    "MAPPERS",
    "NO_CUSTOMER",
    "UNRESOLVED",
    "content_hash",
    "customer_of_entry",
    "entry_with_customer",
    "map_time_entry",
    "parse_datetime",
]

Row = dict[str, Any]
CUSTOMER_TYPES = ("company", "contact")
LOOKUP_SUBJECTS = ("todo", "ticket", "milestone")
FROM_PAYLOAD = ("subject", "relates_to")
LOOKED_UP = "lookup"
UNRESOLVED = "unresolved"
NO_CUSTOMER = "none"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot hash {type(value).__name__}")


def content_hash(raw: Mapping[str, Any]) -> str:
    """A stable digest of a payload (key order and number formatting do not matter)."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()


def jsonable(raw: Any) -> Any:
    """The payload with Decimals as strings, so that it can be stored in a JSON column exactly."""
    if isinstance(raw, Decimal):
        return str(raw)
    if isinstance(raw, Mapping):
        return {k: jsonable(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [jsonable(v) for v in raw]
    return raw


def parse_datetime(value: Any) -> datetime | None:
    """An ISO-8601 datetime with offset as an aware UTC datetime; None when absent."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"datetime {value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def _ref_id(value: Any) -> str | None:
    return str(value["id"]) if isinstance(value, Mapping) and value.get("id") else None


def _primary_email(raw: Mapping[str, Any]) -> str | None:
    for email in raw.get("emails") or []:
        if email.get("type") == "primary":
            return str(email.get("email"))
    return None


def _cents(amount: Any) -> int:
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _base(raw: Mapping[str, Any], now: datetime) -> Row:
    return {
        "id": str(raw["id"]),
        "raw": jsonable(raw),
        "content_hash": content_hash(raw),
        "synced_at": now,
        "deleted_at": None,
    }


def map_user(raw: Mapping[str, Any], now: datetime) -> Row:
    return {
        **_base(raw, now),
        "first_name": raw.get("first_name"),
        "last_name": raw.get("last_name"),
        "email": raw.get("email"),
        "status": raw.get("status"),
    }


def map_work_type(raw: Mapping[str, Any], now: datetime) -> Row:
    return {**_base(raw, now), "name": raw.get("name") or ""}


def map_department(raw: Mapping[str, Any], now: datetime) -> Row:
    return {
        **_base(raw, now),
        "name": raw.get("name") or "",
        "currency": raw.get("currency"),
        "status": raw.get("status"),
    }


def map_tax_rate(raw: Mapping[str, Any], now: datetime) -> Row:
    return {
        **_base(raw, now),
        "description": raw.get("description"),
        "rate": str(raw.get("rate")),
        "department_id": _ref_id(raw.get("department")),
    }


def map_company(raw: Mapping[str, Any], now: datetime) -> Row:
    return {
        **_base(raw, now),
        "name": raw.get("name") or "",
        "status": raw.get("status"),
        "vat_number": raw.get("vat_number"),
        "email": _primary_email(raw),
        "updated_at": parse_datetime(raw.get("updated_at")),
    }


def map_contact(raw: Mapping[str, Any], now: datetime) -> Row:
    return {
        **_base(raw, now),
        "first_name": raw.get("first_name"),
        "last_name": raw.get("last_name"),
        "status": raw.get("status"),
        "email": _primary_email(raw),
        "updated_at": parse_datetime(raw.get("updated_at")),
    }


def customer_of_entry(raw: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(type, id, source) of the customer an entry was tracked for, when the payload says it.

    Directly, when the subject is a company or contact; otherwise through the `relates_to`
    sideload, which lists the customer of the project, milestone, ticket or task.
    """
    subject = raw.get("subject") or {}
    if subject.get("type") in CUSTOMER_TYPES and subject.get("id"):
        return str(subject["type"]), str(subject["id"]), "subject"
    for related in raw.get("relates_to") or []:
        if related.get("type") in CUSTOMER_TYPES and related.get("id"):
            return str(related["type"]), str(related["id"]), "relates_to"
    return None


def entry_with_customer(row: Row, customer: tuple[str, str] | None, source: str) -> Row:
    """`row` with its customer set from `source` and its content hash covering that customer."""
    digest = (
        content_hash(row["raw"])
        if source in FROM_PAYLOAD
        else content_hash({"entry": row["raw"], "customer": [*(customer or ("", "")), source]})
    )
    return {
        **row,
        "customer_type": customer[0] if customer else None,
        "customer_id": customer[1] if customer else None,
        "customer_source": source,
        "content_hash": digest,
    }


def map_time_entry(raw: Mapping[str, Any], now: datetime) -> Row:
    """A time entry row; its customer when the payload names it, else `unresolved` (to look up) or `none`."""
    subject = raw.get("subject") or {}
    billing = raw.get("billing_info") or {}
    rate = raw.get("hourly_rate") or {}
    started_at = parse_datetime(raw.get("started_at"))
    started_on = raw.get("started_on")
    customer = customer_of_entry(raw)
    row = {
        **_base(raw, now),
        "user_id": _ref_id(raw.get("user")),
        "work_type_id": _ref_id(raw.get("work_type")),
        "started_on": date.fromisoformat(started_on) if started_on else (started_at or now).date(),
        "started_at": started_at,
        "ended_at": parse_datetime(raw.get("ended_at")),
        "duration_seconds": int(raw.get("duration") or 0),
        "description": raw.get("description"),
        "subject_type": subject.get("type"),
        "subject_id": subject.get("id"),
        "customer_type": customer[0] if customer else None,
        "customer_id": customer[1] if customer else None,
        "customer_source": customer[2] if customer else None,
        "invoiceable": bool(raw.get("invoiceable")),
        "billing_type": billing.get("type"),
        "billing_invoice_id": _ref_id(billing.get("invoice")),
        "hourly_rate_cents": _cents(rate["amount"]) if rate.get("amount") is not None else None,
        "hourly_rate_currency": rate.get("currency"),
        "locked": raw.get("locked"),
    }
    if customer is not None:
        return row
    looked_up = subject.get("type") in LOOKUP_SUBJECTS and subject.get("id")
    return entry_with_customer(row, None, UNRESOLVED if looked_up else NO_CUSTOMER)


MAPPERS: dict[str, Callable[[Mapping[str, Any], datetime], Row]] = {
    "users": map_user,
    "work_types": map_work_type,
    "departments": map_department,
    "tax_rates": map_tax_rate,
    "companies": map_company,
    "contacts": map_contact,
    "time_entries": map_time_entry,
}
