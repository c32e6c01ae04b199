"""The web layer: dashboard, JSON API, customer statements, health and metrics (FastAPI).

What other packages use: the ports the budgets service is adapted to (`DashboardReadModel`,
`BudgetActions`), their view dataclasses and errors, re-exported here. This module deliberately
imports no web framework (the metrics live in `connector.metrics`, beside every layer); the app
factory is `connector.web.app.create_app`.
"""

from __future__ import annotations

from connector.web.ports import (
    BudgetActions,
    ChoiceRefused,
    DashboardError,
    DashboardReadModel,
    UnknownBudget,
    UnknownEntries,
)
from connector.web.views import (
    BudgetDetail,
    BudgetRow,
    BurnPoint,
    ChoiceOutcome,
    EntryState,
    EntryView,
    Forecast,
    LedgerLineView,
    Statement,
    StatementLine,
    StatementPeriod,
    TopupView,
    Unit,
)

__all__ = [
    "BudgetActions",
    "BudgetDetail",
    "BudgetRow",
    "BurnPoint",
    "ChoiceOutcome",
    "ChoiceRefused",
    "DashboardError",
    "DashboardReadModel",
    "EntryState",
    "EntryView",
    "Forecast",
    "LedgerLineView",
    "Statement",
    "StatementLine",
    "StatementPeriod",
    "TopupView",
    "Unit",
    "UnknownBudget",
    "UnknownEntries",
]
