"""The prepaid domain: money, budgets, valuation, rules, subtraction decisions, ledger, forecast.

Pure code with no I/O: storage, sync, the invoice worker, the web app and the command line call
these functions and apply what they return. Import from here; the modules are implementation.
"""

from __future__ import annotations

from connector.billing.allocation import (
    Allocation,
    AllocationState,
    Decision,
    EntrySnapshot,
    Flag,
    Ineligible,
    Outcome,
    ineligibility,
)
from connector.billing.budget import (
    Budget,
    BudgetStatus,
    CreditOn,
    DeficitPolicy,
    Guardrails,
    PeriodCadence,
    PeriodSettings,
    ReplenishMode,
    ReplenishSettings,
    RolloverPolicy,
    SubtractionMode,
)
from connector.billing.budgets_file import BudgetSpec, parse_budgets_file
from connector.billing.entries import BillingType, CustomerRef, CustomerType, TimeEntry
from connector.billing.errors import (
    BillingError,
    BudgetsFileError,
    ChoiceRefused,
    InvalidBudget,
    InvalidTimeEntry,
    MoneyError,
)
from connector.billing.forecast import Forecast, burn_per_day, forecast
from connector.billing.funding import FundingLink, fifo_funding
from connector.billing.ledger import (
    Balance,
    LedgerLine,
    LineKind,
    correction_line,
    credit_reversal_line,
    opening_line,
    provisional_balance,
    settled_balance,
    topup_credit_line,
)
from connector.billing.money import Money
from connector.billing.moves import Decide, Placement, decide_across, frees_entry
from connector.billing.periods import (
    Period,
    PeriodClose,
    close_period,
    grant_line,
    line_period,
    nth_period,
    period_at,
    period_of,
)
from connector.billing.rules import RuleMatch, SubtractionRule, carry_versions, first_match
from connector.billing.subtraction import (
    exclude,
    keep_flagged,
    on_entry_synced,
    reevaluate,
    subtract,
    undo,
    value_of,
)
from connector.billing.threshold import TopUpAmount, TopUpBlocked, crossed, topup_amount, topup_blocked
from connector.billing.units import BudgetUnit, UnitKind
from connector.billing.valuation import NeedsRate, RateSource, Valuation, ValuationSettings, value_entry

__all__ = [
    "Allocation",
    "AllocationState",
    "Balance",
    "BillingError",
    "BillingType",
    "Budget",
    "BudgetSpec",
    "BudgetStatus",
    "BudgetUnit",
    "BudgetsFileError",
    "ChoiceRefused",
    "CreditOn",
    "CustomerRef",
    "CustomerType",
    "Decide",
    "Decision",
    "DeficitPolicy",
    "EntrySnapshot",
    "Flag",
    "Forecast",
    "FundingLink",
    "Guardrails",
    "Ineligible",
    "InvalidBudget",
    "InvalidTimeEntry",
    "LedgerLine",
    "LineKind",
    "Money",
    "MoneyError",
    "NeedsRate",
    "Outcome",
    "Period",
    "PeriodCadence",
    "PeriodClose",
    "PeriodSettings",
    "Placement",
    "RateSource",
    "ReplenishMode",
    "ReplenishSettings",
    "RolloverPolicy",
    "RuleMatch",
    "SubtractionMode",
    "SubtractionRule",
    "TimeEntry",
    "TopUpAmount",
    "TopUpBlocked",
    "UnitKind",
    "Valuation",
    "ValuationSettings",
    "burn_per_day",
    "carry_versions",
    "close_period",
    "correction_line",
    "credit_reversal_line",
    "crossed",
    "decide_across",
    "exclude",
    "fifo_funding",
    "first_match",
    "forecast",
    "frees_entry",
    "grant_line",
    "ineligibility",
    "keep_flagged",
    "line_period",
    "nth_period",
    "on_entry_synced",
    "opening_line",
    "parse_budgets_file",
    "period_at",
    "period_of",
    "provisional_balance",
    "reevaluate",
    "settled_balance",
    "subtract",
    "topup_amount",
    "topup_blocked",
    "topup_credit_line",
    "undo",
    "value_entry",
    "value_of",
]
