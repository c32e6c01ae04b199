"""The web ports (`DashboardReadModel`, `BudgetActions`) over the budgets service and its tables.

Figures come from the same SQL sums as the command line; this module only converts integer
measures into the views' Decimal quantities (an amount of the currency, or hours) and maps the
service's errors onto the web's error tree (unknown budget 404, unknown entries 404, refused 409).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from connector.billing import Balance, Budget, Money, fifo_funding
from connector.billing import ChoiceRefused as DomainRefused
from connector.budgets.budget_queries import load_budgets
from connector.budgets.choices import Choice, Selection
from connector.budgets.errors import BudgetNotFound, ChoiceLost, EntriesNotFound
from connector.budgets.flagged import FlagChoice, resolve_flagged
from connector.budgets.forecasting import held_forecast, threshold_dates
from connector.budgets.history import balance_history
from connector.budgets.invoiced import listed_entries
from connector.budgets.ledger_listing import invoice_numbers, ledger_listing
from connector.budgets.periods import PeriodFigures, period_figures
from connector.budgets.reports import (
    INVOICED,
    BalanceRow,
    EntryRow,
    balance_rows,
    customer_names,
    entry_rows,
    ledger_rows,
    lines_of,
    statement_data,
)
from connector.budgets.service import BudgetsService
from connector.budgets.topup_hold import TopupHold, topup_hold
from connector.storage.tables.budgets import CREDITING, ledger_line
from connector.storage.tables.invoicing import OPEN_TOPUP_STATUSES, topup
from connector.storage.tables.sync import sync_checkpoint
from connector.sync.unresolved import count_unresolved
from connector.web.ports import ChoiceRefused, UnknownBudget, UnknownEntries
from connector.web.views import (
    BudgetDetail,
    BudgetRow,
    BurnPoint,
    ChoiceOutcome,
    EntryState,
    EntryView,
    Forecast,
    LedgerLineView,
    PeriodView,
    Statement,
    StatementLine,
    StatementPeriod,
    TopupHoldView,
    TopupView,
    Unit,
)

__all__ = ["BudgetsWebAdapter"]

_HOUR = Decimal(3600)


def _quantity(row: BalanceRow, measure: int) -> Decimal:
    if row.unit.value == "hours":
        return Decimal(measure) / _HOUR
    return Money.from_cents(measure, row.currency).amount


def _hold_view(hold: TopupHold | None) -> TopupHoldView | None:
    return None if hold is None else TopupHoldView(hold.code, hold.reason.value, hold.detail)


def _topup_view(r: Any) -> TopupView:
    return TopupView(
        id=r.id,
        state=r.status,
        amount=Decimal(r.amount_cents) / 100,
        created_at=r.created_at,
        invoice_number=r.invoice_number,
        credited_at=r.credited_at,
    )


def _funding_labels(conn: Connection, b: Budget) -> dict[str, str]:
    """For each debit line's source key, the credits that paid for it, first in first out."""
    rows = ledger_rows(conn, b.id)
    names: dict[str, str] = {}
    for r in rows:
        if r["kind"] == "opening":
            names[r["source_key"]] = "opening balance"
        elif r["invoice_id"] is not None:
            names[r["source_key"]] = r["reason"] or f"invoice {r['invoice_id']}"
        else:
            names[r["source_key"]] = r["reason"] or r["kind"]
    funded: dict[str, list[str]] = {}
    for link in fifo_funding(lines_of(conn, b), b.unit):
        label = "not yet funded" if link.credit_key is None else names.get(link.credit_key, link.credit_key)
        funded.setdefault(link.debit_key, []).append(f"{label} ({b.unit.format(link.measure)})")
    return {key: "; ".join(parts) for key, parts in funded.items()}


def _period_view(b: Budget, f: PeriodFigures) -> PeriodView:
    q = b.unit.quantity
    return PeriodView(
        label=f.label,
        start=f.period.start,
        end=f.period.end - timedelta(days=1),
        days_left=f.days_left,
        share_used=f.share_used,
        carried=q(f.carried),
        expires=q(f.expires),
        overage=q(f.overage),
        written_off=q(f.written_off),
    )


def _failed_topups(conn: Connection, budget_ids: list[str]) -> dict[str, TopupHoldView]:
    """Budgets whose latest automatic top-up failed, with its error and the command that retries it."""
    latest = (
        select(topup.c.budget_id, func.max(topup.c.created_at).label("created_at"))
        .where(topup.c.kind == "topup", topup.c.budget_id.in_(budget_ids))
        .group_by(topup.c.budget_id)
        .subquery()
    )
    query = select(topup.c.budget_id, topup.c.id, topup.c.last_error).join(
        latest, and_(topup.c.budget_id == latest.c.budget_id, topup.c.created_at == latest.c.created_at)
    )
    failed = {}
    for budget_id, topup_id, error in conn.execute(query.where(topup.c.status == "failed")):
        said = f" with: {error}" if error else ""
        detail = f"top-up {topup_id} failed{said}. Fix that, then `prepaid topups retry {topup_id}`"
        failed[budget_id] = TopupHoldView("failed", "the latest top-up failed", detail)
    return failed


def _held(conn: Connection, b: Budget, settled: int, now: datetime) -> TopupHoldView | None:
    """What holds `b`'s automatic top-ups, for the overview: an open top-up on its way is no hold."""
    hold = topup_hold(conn, b, settled=settled, now=now)
    return None if hold is None or hold.code == "open_topup" else _hold_view(hold)


def _both_figures(conn: Connection, rows: list[BudgetRow], now: datetime) -> list[BudgetRow]:
    """Every view shows both figures: an hours budget's balance at its hour price, a money
    budget's in hours at its default rate; a renewing budget also shows its current period. Each
    row also gets its forecast date (the budget page's) and what holds its top-ups."""
    budgets = {b.id: b for b in load_budgets(conn, ids=[r.id for r in rows])} if rows else {}
    settled = {b.id: b.unit.measure(row.settled) for row in rows if (b := budgets.get(row.id))}
    dates = threshold_dates(conn, list(budgets.values()), settled, now=now)
    failed = _failed_topups(conn, list(budgets)) if rows else {}
    result = []
    for row in rows:
        b = budgets.get(row.id)
        if b is None:
            result.append(row)
            continue
        balance = Balance(b.unit, settled[b.id])
        figures = period_figures(conn, b, now)
        crossing = dates.get(b.id)
        result.append(
            replace(
                row,
                hours=balance.hours_at(b.valuation.default_rate),
                value=balance.money.amount if b.unit.is_hours else None,
                period=None if figures is None else _period_view(b, figures),
                time_zone=b.time_zone,
                rounding_seconds=b.valuation.rounding_increment_seconds,
                minimum_seconds=b.valuation.minimum_seconds,
                statement_names=b.show_people_to_customer,
                forecast_date=crossing,
                crossing_in_days=None
                if crossing is None
                else (crossing - now.astimezone(b.zone).date()).days,
                topup_hold=_held(conn, b, settled[b.id], now) or failed.get(b.id),
            )
        )
    return result


class BudgetsWebAdapter:
    """Both web ports at once, on the budgets service."""

    def __init__(self, service: BudgetsService) -> None:
        self._service = service

    # reads

    def _budget(self, conn: Connection, budget_id: str) -> Budget:
        try:
            return self._service.budget(budget_id, conn)
        except BudgetNotFound:
            raise UnknownBudget(budget_id) from None

    def _rows(
        self, conn: Connection, ids: Sequence[str] | None, *, active_only: bool = False
    ) -> list[BudgetRow]:
        rows = [r for r in balance_rows(conn, ids) if not active_only or r.status == "active"]
        keys = [tuple(r.customer.split(":", 1)) for r in rows]
        names = customer_names(conn, [(k[0], k[1]) for k in keys])
        credited_query = (
            select(
                ledger_line.c.budget_id,
                func.sum(case((ledger_line.c.amount_cents > 0, ledger_line.c.amount_cents), else_=0)),
                func.sum(case((ledger_line.c.seconds > 0, ledger_line.c.seconds), else_=0)),
            )
            .where(CREDITING)
            .group_by(ledger_line.c.budget_id)
        )
        credited = {b: (int(c or 0), int(s or 0)) for b, c, s in conn.execute(credited_query)}
        open_topups = {
            r.budget_id: _topup_view(r)
            for r in conn.execute(
                select(topup).where(topup.c.status.in_(OPEN_TOPUP_STATUSES), topup.c.kind == "topup")
            )
        }
        last_sync = conn.execute(select(func.max(sync_checkpoint.c.finished_at))).scalar()
        result = []
        for r, key in zip(rows, keys, strict=True):
            cents, seconds = credited.get(r.budget_id, (0, 0))
            total = seconds if r.unit.value == "hours" else cents
            used = Decimal(total - r.settled) / total if total > 0 else Decimal(0)
            hours = _quantity(r, r.settled) if r.unit.value == "hours" else None
            result.append(
                BudgetRow(
                    id=r.budget_id,
                    customer_name=names.get((key[0], key[1]), r.customer),
                    name=r.name,
                    unit=Unit(r.unit.value),
                    currency=r.currency,
                    settled=_quantity(r, r.settled),
                    provisional=_quantity(r, r.provisional),
                    threshold=_quantity(r, r.threshold),
                    share_used=used,
                    hours=hours,
                    open_topup=open_topups.get(r.budget_id),
                    last_sync=last_sync,
                )
            )
        return _both_figures(conn, result, self._service.clock())

    def overview(self) -> Sequence[BudgetRow]:
        with self._service.engine.connect() as conn:
            return self._rows(conn, None, active_only=True)

    def unresolved_entries(self) -> int:
        with self._service.engine.connect() as conn:
            return count_unresolved(conn)

    def _entry_view(self, b: Budget, r: EntryRow) -> EntryView:
        currency = b.unit.currency
        warning = None
        if r.state == INVOICED:
            warning = r.note
        elif r.needs_rate:
            warning = "needs a rate"
        elif r.flags:
            warning = "flagged: " + ", ".join(f.replace("_", " ") for f in r.flags)
        return EntryView(
            id=r.entry_id,
            state=EntryState(r.state),
            day=r.day,
            person=r.person,
            work_type=r.work_type,
            description=r.description,
            duration_seconds=r.duration_seconds,
            rounded_seconds=r.counted_seconds,
            rate=None if r.rate_cents is None else Money.from_cents(r.rate_cents, currency).amount,
            amount=None if r.amount_cents is None else Money.from_cents(r.amount_cents, currency).amount,
            warning=warning,
            teamleader_invoice_id=r.invoice_id if r.state == INVOICED else None,
        )

    def entries(self, budget_id: str, state: EntryState | None = None) -> Sequence[EntryView]:
        with self._service.engine.connect() as conn:
            b = self._budget(conn, budget_id)
            rows = listed_entries(conn, budget_id=budget_id, state=state.value if state else None)
            return [self._entry_view(b, r) for r in rows]

    def _ledger_views(self, b: Budget, rows: list[dict[str, Any]]) -> list[LedgerLineView]:
        views = []
        for r in rows:
            measure = r["seconds"] if b.unit.is_hours else r["amount_cents"]
            views.append(
                LedgerLineView(
                    id=str(r["id"]),
                    at=r["at"],
                    kind=r["kind"],
                    change=b.unit.quantity(measure),
                    amount=Money.from_cents(r["amount_cents"], b.unit.currency).amount,
                    actor=r["actor"],
                    description=r["reason"] or r["kind"],
                    entry_id=r["time_entry_id"],
                    invoice_number=r.get("invoice_number"),
                    entry_day=r.get("entry_day"),
                    person=r.get("person") or "",
                    entry_description=r.get("entry_description") or "",
                    duration_seconds=r["duration_seconds"],
                    rounded_seconds=r["rounded_seconds"],
                    rate=None
                    if r["rate_cents"] is None
                    else Money.from_cents(r["rate_cents"], b.unit.currency).amount,
                    rate_source=r["rate_source"],
                    details=r["details"],
                )
            )
        return views

    def ledger(self, budget_id: str) -> Sequence[LedgerLineView]:
        with self._service.engine.connect() as conn:
            b = self._budget(conn, budget_id)
            return self._ledger_views(b, ledger_listing(conn, budget_id))

    def topups(self, budget_id: str) -> Sequence[TopupView]:
        with self._service.engine.connect() as conn:
            self._budget(conn, budget_id)
            query = select(topup).where(topup.c.budget_id == budget_id).order_by(topup.c.created_at.desc())
            return [_topup_view(r) for r in conn.execute(query)]

    def budget_page(self, budget_id: str) -> BudgetDetail:
        with self._service.engine.connect() as conn:
            b = self._budget(conn, budget_id)
            row = self._rows(conn, [budget_id])[0]
            now = self._service.clock()
            today = now.astimezone(b.zone).date()
            burn = tuple(
                BurnPoint(day, b.unit.quantity(m)) for day, m in balance_history(conn, b, today=today)
            )
            entries = [self._entry_view(b, r) for r in listed_entries(conn, budget_id=budget_id)]
            held = held_forecast(conn, b, settled=b.unit.measure(row.settled), now=now)
            fc = held.forecast
            forecast = Forecast(topup_held=_hold_view(held.topup_held))
            if not fc.no_recent_burn:
                forecast = Forecast(
                    burn_per_day=b.unit.quantity(int(fc.burn_per_day)),
                    threshold_date=fc.threshold_date,
                    zero_date=fc.zero_date,
                    next_topup_date=fc.next_topup_date,
                    next_topup_amount=fc.next_topup.amount.amount if fc.next_topup else None,
                    topup_held=forecast.topup_held,
                )
            topups = tuple(
                _topup_view(r)
                for r in conn.execute(
                    select(topup).where(topup.c.budget_id == budget_id).order_by(topup.c.created_at.desc())
                )
            )
            return BudgetDetail(
                budget=row,
                burn=burn,
                forecast=forecast,
                pending=tuple(e for e in entries if e.state is EntryState.PENDING),
                subtracted=tuple(e for e in entries if e.state is EntryState.SUBTRACTED),
                ledger=tuple(self._ledger_views(b, ledger_listing(conn, budget_id))),
                topups=topups,
                excluded=tuple(e for e in entries if e.state is EntryState.EXCLUDED),
                invoiced=tuple(e for e in entries if e.state is EntryState.INVOICED),
                topup_hold=_hold_view(held.hold),
                today=today,
            )

    def statement(self, budget_id: str, period: StatementPeriod) -> Statement:
        with self._service.engine.connect() as conn:
            b = self._budget(conn, budget_id)
            row = self._rows(conn, [budget_id])[0]
            data = statement_data(conn, b, period.start, period.end)
            funding = _funding_labels(conn, b)
            numbers = invoice_numbers(conn, budget_id)
            flagged = tuple(
                self._entry_view(b, r) for r in entry_rows(conn, budget_id=budget_id, flagged=True)
            )
        unit, currency = b.unit, b.unit.currency
        lines = tuple(
            StatementLine(
                day=line["day"],
                kind=line["kind"],
                change=unit.quantity(line["seconds"] if unit.is_hours else line["amount_cents"]),
                person=(line["person"] or "") if line["time_entry_id"] else "",
                work_type=line["work_type"] or "",
                description=line["entry_description"] or line["reason"] or line["kind"],
                rounded_seconds=line["rounded_seconds"] or 0,
                rate=None
                if line["rate_cents"] is None
                else Money.from_cents(line["rate_cents"], currency).amount,
                amount=Money.from_cents(line["amount_cents"], currency).amount,
                funded_by=funding.get(line["source_key"], ""),
                reason=line["reason"] or "",
                invoice_number=numbers.get(line["invoice_id"] or ""),
                duration_seconds=line["duration_seconds"],
                rate_source=line["rate_source"],
                details=line["details"],
                corrects=line["corrects"],
            )
            for line in data.lines
        )
        topups = tuple(
            TopupView(
                id=line["source_key"],
                state="credited",
                amount=unit.quantity(line["seconds"] if unit.is_hours else line["amount_cents"]),
                created_at=line["at"],
                invoice_number=numbers.get(line["invoice_id"] or ""),
                credited_at=line["at"],
            )
            for line in data.topups
        )
        opening, closing = unit.quantity(data.opening), unit.quantity(data.closing)
        return Statement(row, period, opening, lines, topups, closing, flagged=flagged)

    # choices

    def _choose(self, choice: Choice, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        ids = tuple(dict.fromkeys(entry_ids))
        with self._service.engine.connect() as conn:
            b = self._budget(conn, budget_id)
            known = {r.entry_id for r in listed_entries(conn, budget_id=budget_id, entry_ids=ids)}
        missing = [i for i in ids if i not in known]
        if missing:
            raise UnknownEntries(budget_id, missing)
        try:
            selection = Selection(entry_ids=ids, budget_id=budget_id)
            result = self._service.choose(choice, selection, actor=actor, strict=True)
        except (DomainRefused, ChoiceLost) as error:
            raise ChoiceRefused(f"{error}; reload the page to see it") from None
        settled = result.settled.get(budget_id, 0)
        return ChoiceOutcome(ids, b.unit.quantity(settled))

    def subtract(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        return self._choose(Choice.SUBTRACT, budget_id, entry_ids, actor)

    def exclude(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        return self._choose(Choice.EXCLUDE, budget_id, entry_ids, actor)

    def undo(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        return self._choose(Choice.UNDO, budget_id, entry_ids, actor)

    def _resolve(
        self, choice: FlagChoice, budget_id: str, entry_ids: Sequence[str], actor: str
    ) -> ChoiceOutcome:
        ids = tuple(dict.fromkeys(entry_ids))
        with self._service.engine.connect() as conn:
            b = self._budget(conn, budget_id)
        try:
            result = resolve_flagged(
                self._service.engine, choice, ids, actor=actor, now=self._service.clock(), budget_id=budget_id
            )
        except EntriesNotFound as error:
            raise UnknownEntries(budget_id, error.entry_ids) from None
        except (DomainRefused, ChoiceLost) as error:
            raise ChoiceRefused(f"{error}; reload the page to see it") from None
        return ChoiceOutcome(ids, b.unit.quantity(result.settled.get(budget_id, 0)))

    def keep(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        return self._resolve(FlagChoice.KEEP, budget_id, entry_ids, actor)

    def reverse(self, budget_id: str, entry_ids: Sequence[str], actor: str) -> ChoiceOutcome:
        return self._resolve(FlagChoice.REVERSE, budget_id, entry_ids, actor)
