"""Period close in storage: each rollover and deficit policy's ledger lines, idempotence, late edits."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from periods_fixtures import after, hours_renewing, kinds, lines, local, put_entry, renewing
from sqlalchemy import Engine, select
from support.clock import PinnedClock

from connector.billing import Budget, DeficitPolicy, PeriodSettings, RolloverPolicy
from connector.budgets import BudgetsService
from connector.budgets.periods import PeriodCloser
from connector.storage.tables.invoicing import topup

JAN = date(2026, 1, 1)
FEB = date(2026, 2, 1)


def _setup(engine: Engine, b: Budget, hours_used: int) -> tuple[BudgetsService, PinnedClock]:
    """Budget created on Jan 1, first period opened, `hours_used` hours worked on Jan 15."""
    clock = PinnedClock(after(JAN))
    service = BudgetsService(engine, clock=clock)
    service.create(b, actor="test")
    PeriodCloser(engine, clock=clock).close_due()
    for n in range(hours_used):
        put_entry(engine, f"e{n}", local(date(2026, 1, 15), 9 + n % 8))
    service.apply_entries([f"e{n}" for n in range(hours_used)])
    clock.at = after(FEB)
    return service, clock


def _close(engine: Engine, clock: PinnedClock) -> None:
    report = PeriodCloser(engine, clock=clock).close_due()
    assert not report.blocked


def _by_kind(engine: Engine, kind: str) -> list[dict[str, object]]:
    return [r for r in lines(engine) if r["kind"] == kind]


def test_rollover_none_expires_the_surplus_with_a_line(engine: Engine) -> None:
    _, clock = _setup(engine, renewing(rollover=RolloverPolicy.NONE), hours_used=3)
    _close(engine, clock)
    assert kinds(engine)[-3:] == ["period_close", "expiry", "period_grant"]
    (expiry,) = _by_kind(engine, "expiry")
    assert expiry["amount_cents"] == -70000 and expiry["period_index"] == 0
    assert "expires" in str(expiry["reason"])
    close = _by_kind(engine, "period_close")[0]
    assert close["details"]["carried"] == "EUR 0.00"  # type: ignore[index]
    assert sum(int(r["amount_cents"]) for r in lines(engine)) == 100000


def test_rollover_all_carries_everything(engine: Engine) -> None:
    _, clock = _setup(engine, renewing(rollover=RolloverPolicy.ALL), hours_used=3)
    _close(engine, clock)
    assert kinds(engine)[-2:] == ["period_close", "period_grant"]
    assert sum(int(r["amount_cents"]) for r in lines(engine)) == 170000


@pytest.mark.parametrize(
    ("cap", "share", "expired"),
    [(Decimal("200"), None, -50000), (None, Decimal("0.25"), -45000)],
    ids=["amount", "share"],
)
def test_capped_rollover_expires_above_the_cap(
    engine: Engine, cap: Decimal | None, share: Decimal | None, expired: int
) -> None:
    b = renewing(rollover=RolloverPolicy.CAPPED, rollover_cap=cap, rollover_cap_share=share)
    _, clock = _setup(engine, b, hours_used=3)
    _close(engine, clock)
    (expiry,) = _by_kind(engine, "expiry")
    assert expiry["amount_cents"] == expired
    assert sum(int(r["amount_cents"]) for r in lines(engine)) == 170000 + expired


def test_deficit_carry_keeps_the_debt(engine: Engine) -> None:
    _, clock = _setup(engine, renewing(deficit=DeficitPolicy.CARRY), hours_used=12)
    _close(engine, clock)
    assert kinds(engine)[-2:] == ["period_close", "period_grant"]
    assert sum(int(r["amount_cents"]) for r in lines(engine)) == 100000 - 20000


def test_deficit_overage_credits_it_and_plans_one_invoice(engine: Engine) -> None:
    _, clock = _setup(engine, renewing(deficit=DeficitPolicy.OVERAGE), hours_used=12)
    _close(engine, clock)
    _close(engine, clock)
    (overage,) = _by_kind(engine, "overage")
    assert overage["amount_cents"] == 20000 and overage["period_index"] == 0
    with engine.connect() as conn:
        rows = conn.execute(select(topup.c.kind, topup.c.period_key, topup.c.amount_cents)).all()
    assert [tuple(r) for r in rows] == [("overage", "2026-01", 20000)]
    assert sum(int(r["amount_cents"]) for r in lines(engine)) == 100000


def test_deficit_writeoff_names_who_chose_it(engine: Engine) -> None:
    b = renewing(deficit=DeficitPolicy.WRITEOFF, writeoff_approved_by="Mia (account manager)")
    _, clock = _setup(engine, b, hours_used=12)
    _close(engine, clock)
    (writeoff,) = _by_kind(engine, "writeoff")
    assert writeoff["amount_cents"] == 20000
    assert "Mia (account manager)" in str(writeoff["reason"])


def test_hours_budget_overage_invoices_hours_at_the_hour_price(engine: Engine) -> None:
    _, clock = _setup(engine, hours_renewing(deficit=DeficitPolicy.OVERAGE), hours_used=22)
    _close(engine, clock)
    with engine.connect() as conn:
        row = conn.execute(select(topup.c.amount_cents, topup.c.quantity_seconds)).one()
    assert tuple(row) == (16000, 7200)


def test_invoiced_grant_plans_a_grant_invoice_per_period(engine: Engine) -> None:
    _, clock = _setup(engine, renewing(invoice_grant=True), hours_used=1)
    with engine.connect() as conn:
        assert conn.execute(select(topup.c.kind, topup.c.period_key)).all() == [("period_grant", "2026-01")]
        conn.execute(topup.update().values(status="credited"))
        conn.commit()
    _close(engine, clock)
    with engine.connect() as conn:
        keys = sorted(conn.execute(select(topup.c.period_key)).scalars())
    assert keys == ["2026-01", "2026-02"]


def test_close_twice_and_catch_up_close_each_period_once(engine: Engine) -> None:
    _, clock = _setup(engine, renewing(), hours_used=1)
    clock.at = after(date(2026, 4, 1))
    first = PeriodCloser(engine, clock=clock).close_due()
    again = PeriodCloser(engine, clock=clock).close_due()
    assert [c.period for c in first.closed] == ["2026-01", "2026-02", "2026-03"]
    assert again.closed == [] and again.opened == []
    assert kinds(engine).count("period_close") == 3
    assert kinds(engine).count("period_grant") == 4
    assert [r["period_index"] for r in _by_kind(engine, "period_grant")] == [0, 1, 2, 3]


def test_nothing_closes_before_the_boundary(engine: Engine) -> None:
    _, clock = _setup(engine, renewing(), hours_used=1)
    clock.at = local(date(2026, 1, 31), 23, 59)
    report = PeriodCloser(engine, clock=clock).close_due()
    assert report.closed == [] and "period_close" not in kinds(engine)


def test_an_entry_edited_after_its_period_closed_is_corrected_in_the_current_period(engine: Engine) -> None:
    service, clock = _setup(engine, renewing(), hours_used=1)
    _close(engine, clock)
    closing_before = sum(int(r["amount_cents"]) for r in lines(engine) if r["period_index"] == 0)
    put_entry(engine, "e0", local(date(2026, 1, 15), 9), seconds=7200)
    service.apply_entries(["e0"])
    (adjustment,) = _by_kind(engine, "adjustment")
    assert adjustment["period_index"] == 1
    assert "2026-01" in str(adjustment["reason"])
    assert adjustment["details"]["closed_period"] == "2026-01"  # type: ignore[index]
    assert sum(int(r["amount_cents"]) for r in lines(engine) if r["period_index"] == 0) == closing_before
    put_entry(engine, "e0", local(date(2026, 1, 15), 9), seconds=7200, deleted_at=clock.at)
    service.apply_entries(["e0"])
    (reversal,) = _by_kind(engine, "reversal")
    assert reversal["period_index"] == 1 and "2026-01" in str(reversal["reason"])


def test_a_budget_that_does_not_renew_is_left_alone(engine: Engine) -> None:
    clock = PinnedClock(after(FEB))
    BudgetsService(engine, clock=clock).create(replace(renewing(), periods=PeriodSettings()), actor="t")
    report = PeriodCloser(engine, clock=clock).close_due()
    assert report.closed == [] and report.opened == [] and kinds(engine) == []
