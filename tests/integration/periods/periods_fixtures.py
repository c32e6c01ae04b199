"""Helpers for the periods tests: renewing budgets, entries at a local time, reads.

The periods tests are about the calendar of 2026 (both DST changes of Europe/Brussels, month and
quarter ends), so each one pins its clock (`PinnedClock(after(day))`) at the boundary it is about;
the one that runs `prepaid` in a process of its own dates its budget from the machine's clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select, update

from connector.billing import (
    Budget,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    Money,
    PeriodCadence,
    PeriodSettings,
    SubtractionMode,
    SubtractionRule,
    ValuationSettings,
)
from connector.storage.tables.budgets import ledger_line
from connector.storage.tables.sync import time_entry

BRUSSELS = ZoneInfo("Europe/Brussels")
ACME = CustomerRef(CustomerType.COMPANY, "c-acme")


def local(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A Brussels wall-clock time as an aware UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS).astimezone(UTC)


def renewing(**periods: Any) -> Budget:
    """A monthly EUR 1000 auto budget from 2026-01-01 at EUR 100/h, 15-minute rounding."""
    settings = PeriodSettings(cadence=PeriodCadence.MONTH, allowance=Decimal("1000"))
    return Budget(
        id="b1",
        customer=ACME,
        name="Acme retainer",
        unit=BudgetUnit.money("EUR"),
        start=date(2026, 1, 1),
        valuation=ValuationSettings(default_rate=Money.of("100", "EUR"), rounding_increment_seconds=900),
        mode=SubtractionMode.AUTO,
        rules=(SubtractionRule("all"),),
        periods=replace(settings, **periods),
    )


def hours_renewing(**periods: Any) -> Budget:
    """A monthly 20-hour bundle at EUR 80/h."""
    b = renewing(**periods)
    settings = replace(b.periods, allowance=Decimal("20"))
    return replace(b, unit=BudgetUnit.hours(Money.of("80", "EUR")), periods=settings)


def put_entry(engine: Engine, entry_id: str, started_at: datetime, seconds: int = 3600, **extra: Any) -> None:
    """Insert or change a synced entry of Acme; a change grows its revision, as the sync does.
    The sync is taken to have seen it as it started (`synced_at` is `started_at`)."""
    values = {
        "user_id": "u-ann",
        "work_type_id": "wt-dev",
        "started_on": started_at.astimezone(BRUSSELS).date(),
        "started_at": started_at,
        "duration_seconds": seconds,
        "description": "Support",
        "subject_type": "company",
        "customer_type": "company",
        "customer_id": "c-acme",
        "invoiceable": True,
        "billing_type": None,
        "hourly_rate_cents": None,
        "hourly_rate_currency": None,
        "deleted_at": None,
        "raw": {},
        "content_hash": "x",
        "synced_at": started_at,
        **extra,
    }
    with engine.begin() as conn:
        exists = conn.execute(select(time_entry.c.id).where(time_entry.c.id == entry_id)).first()
        if exists is None:
            conn.execute(insert(time_entry).values(id=entry_id, revision=1, **values))
        else:
            conn.execute(
                update(time_entry)
                .where(time_entry.c.id == entry_id)
                .values(revision=time_entry.c.revision + 1, **values)
            )


def lines(engine: Engine, budget_id: str = "b1") -> list[dict[str, Any]]:
    with engine.connect() as conn:
        query = select(ledger_line).where(ledger_line.c.budget_id == budget_id).order_by(ledger_line.c.id)
        return [dict(r) for r in conn.execute(query).mappings()]


def kinds(engine: Engine, budget_id: str = "b1") -> list[str]:
    return [r["kind"] for r in lines(engine, budget_id)]


def after(day: date, hours: int = 1) -> datetime:
    """An instant `hours` after local midnight starting `day`: a close run just after a boundary."""
    return local(day, 0) + timedelta(hours=hours)
