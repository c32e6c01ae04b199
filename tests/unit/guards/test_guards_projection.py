"""The cash-in projection and the write-back's field values and failures, without a database server.

Every day here counts from `TODAY`, the day of `PINNED_AT`: the projection is handed it as `today`
and the write-back's budgets service and job run on `PinnedClock()`.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from support.clock import PINNED_AT, PinnedClock

from connector.billing import (
    Budget,
    BudgetUnit,
    CustomerRef,
    CustomerType,
    Forecast,
    Guardrails,
    ReplenishMode,
    ReplenishSettings,
    UnitKind,
)
from connector.budgets import BudgetsService
from connector.budgets.forecasting import project_topups
from connector.budgets.reports import BalanceRow
from connector.budgets.writeback import BalanceWriteback, FieldTarget, field_value
from connector.errors import ConfigError
from connector.storage.tables.writeback import balance_writeback
from connector.teamleader.errors import RequestFailed

TODAY = PINNED_AT.date()
MONTH_END = TODAY.replace(day=monthrange(TODAY.year, TODAY.month)[1])


def _budget(**changes: Any) -> Budget:
    values: dict[str, Any] = {
        "id": "b1",
        "customer": CustomerRef(CustomerType.COMPANY, "c1"),
        "name": "Support",
        "unit": BudgetUnit.money("EUR"),
        "start": TODAY.replace(month=1, day=1),
        "threshold": Decimal(100),
        "replenish": ReplenishSettings(
            ReplenishMode.AUTO, fixed_amount=Decimal(500), department_id="d", tax_rate_id="t"
        ),
    }
    return Budget(**{**values, **changes})


def _forecast(balance: int, burn: int) -> Forecast:
    return Forecast(balance, Decimal(burn), 30, None, None, None, None)


def test_each_expected_topup_credits_the_budget_and_the_burn_goes_on() -> None:
    """EUR 300 left, EUR 100 a day, EUR 500 top-ups at the EUR 100 threshold: one every 5 days."""
    until = TODAY + timedelta(days=36)
    topups = project_topups(_budget(), _forecast(30_000, 10_000), today=TODAY, until=until)
    assert [(t.day, t.amount.amount) for t in topups][:3] == [
        (TODAY + timedelta(days=3), Decimal(500)),
        (TODAY + timedelta(days=8), Decimal(500)),
        (TODAY + timedelta(days=13), Decimal(500)),
    ]
    assert topups[-1].day <= until


def test_the_monthly_cap_and_the_end_horizon_end_the_projection() -> None:
    """Two top-ups fall in the rest of `TODAY`'s month: the cap lets one through."""
    burning = _forecast(30_000, 10_000)
    assert len(project_topups(_budget(), burning, today=TODAY, until=MONTH_END)) == 2
    capped = _budget(guardrails=Guardrails(monthly_cap=Decimal(500)))
    assert len(project_topups(capped, burning, today=TODAY, until=MONTH_END)) == 1
    ending = _budget(end=TODAY + timedelta(days=5), guardrails=Guardrails(no_topup_days_before_end=5))
    later = TODAY + timedelta(days=41)
    assert project_topups(ending, burning, today=TODAY, until=later) == ()
    assert project_topups(_budget(), _forecast(30_000, 0), today=TODAY, until=later) == ()


def _row(settled: int, provisional: int) -> BalanceRow:
    return BalanceRow(
        "b1", "Support", "company:c1", UnitKind.MONEY, "EUR", "active", 0, settled, provisional, 1, 0
    )


def test_a_text_field_shows_both_balances_and_a_number_field_the_settled_amount() -> None:
    rows = [_row(123_450, 100_000)]
    text = field_value(FieldTarget("company", "f1", "single_line"), rows)
    assert text == "settled EUR 1,234.50 / provisional EUR 1,000.00"
    assert field_value(FieldTarget("company", "f1", "number"), rows) == "1234.50"


class FakeClient:
    def __init__(self, definitions: list[dict[str, str]], *, fail: bool = False) -> None:
        self.definitions = definitions
        self.fail = fail
        self.updates: list[tuple[str, dict[str, Any]]] = []

    def call(self, endpoint: str, body: Mapping[str, Any] | None = None) -> Any:
        return {"data": self.definitions}

    def update_company(self, company_id: str, **fields: Any) -> None:
        if self.fail:
            raise RequestFailed("companies.update", 503, "unavailable")
        self.updates.append((company_id, fields))

    def update_contact(self, contact_id: str, **fields: Any) -> None:
        self.updates.append((contact_id, fields))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_unknown_field_is_a_configuration_error_naming_the_variable(engine: Engine) -> None:
    job = BalanceWriteback(engine, FakeClient([]), "Prepaid balance", clock=PinnedClock())
    with pytest.raises(ConfigError, match="PREPAID_WRITEBACK_FIELD"):
        job.run_once()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_failed_update_is_recorded_and_tried_again(engine: Engine) -> None:
    clock = PinnedClock()
    BudgetsService(engine, clock=clock).create(_budget(opening_balance=Decimal(50)), actor="test")
    definitions = [{"id": "f1", "context": "company", "type": "number", "label": "Prepaid balance"}]
    failing = FakeClient(definitions, fail=True)
    assert BalanceWriteback(engine, failing, "Prepaid balance", clock=clock).run_once() == 1
    with engine.connect() as conn:
        [row] = conn.execute(select(balance_writeback)).all()
    assert (row.failures, row.written_value) == (1, None) and "503" in row.last_error
    working = FakeClient(definitions)
    job = BalanceWriteback(engine, working, "f1", clock=clock)
    assert (job.run_once(), job.run_once()) == (1, 0)
    assert working.updates == [
        (
            "c1",
            {"custom_fields": [{"id": "f1", "value": "50.00"}], "custom_fields_update_strategy": "partial"},
        )
    ]
