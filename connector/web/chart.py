"""The burn chart, drawn on the server as inline SVG: balance over time, threshold, zero, top-ups.

No chart library and no script: the page stays printable, the figure renders with JavaScript off,
and a test can read the numbers back from the markup (each point carries a `<title>`).

The settled balance is drawn as steps (it changes on the days lines count on, the day their
entries were worked, and stays flat in between), in date order, ending today at the settled
balance; the provisional balance (pending time counted too) is a dashed level, and the forecast a
dotted line from today to the day the balance is expected below the threshold. The time axis spans
at least a week, so a history of one day still reads as dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from markupsafe import Markup, escape

from connector.web.formatting import in_unit
from connector.web.views import BudgetDetail

__all__ = ["burn_chart"]

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 90, 20, 16, 28
MIN_DAYS = 7


@dataclass(frozen=True)
class _Frame:
    """The plotted ranges: days [first, last] and values [low, high]."""

    first: date
    last: date
    low: Decimal
    high: Decimal

    def x(self, day: date) -> float:
        span = max((self.last - self.first).days, 1)
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - self.first).days / span

    def y(self, value: Decimal) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * float((self.high - value) / (self.high - self.low))


def _forecast_end(detail: BudgetDetail, today: date) -> tuple[date, Decimal] | None:
    """Where the forecast line ends: the crossing day and the balance expected then."""
    fc, settled = detail.forecast, detail.budget.settled
    if fc.threshold_date is None or fc.burn_per_day is None or fc.threshold_date <= today:
        return None
    return fc.threshold_date, settled - fc.burn_per_day * (fc.threshold_date - today).days


def _frame(detail: BudgetDetail, today: date, end: tuple[date, Decimal] | None) -> _Frame:
    b, burn = detail.budget, detail.burn
    last = max(today, burn[-1].day, end[0] if end else today)
    first = min(burn[0].day, last - timedelta(days=MIN_DAYS))
    values = [p.balance for p in burn] + [b.threshold, b.provisional, Decimal(0)]
    if end is not None:
        values.append(end[1])
    low, high = min(values), max(values)
    return _Frame(first, last, low, high if high > low else low + 1)


def _level(f: _Frame, css: str, value: Decimal, title: str, *, style: str = "") -> str:
    """A horizontal line across the plot at `value`; `style` adds presentation attributes."""
    y = f"{f.y(value):.1f}"
    return (
        f'<line class="{css}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"{style}>'
        f"<title>{escape(title)}</title></line>"
    )


def burn_chart(detail: BudgetDetail) -> Markup:
    """An SVG of the settled balance; an explanatory line of text when there is no history yet."""
    burn, b = detail.burn, detail.budget
    if not burn:
        return Markup('<p class="muted">No balance history yet.</p>')
    today = detail.today or burn[-1].day
    end = _forecast_end(detail, today)
    f = _frame(detail, today, end)
    steps = [f"{f.x(burn[0].day):.1f},{f.y(burn[0].balance):.1f}"]
    for before, point in pairwise(burn):
        steps.append(f"{f.x(point.day):.1f},{f.y(before.balance):.1f}")
        steps.append(f"{f.x(point.day):.1f},{f.y(point.balance):.1f}")
    parts = [
        f'<svg class="burn" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="Balance over time">',
        _level(f, "zero", Decimal(0), "Zero"),
        _level(f, "threshold", b.threshold, f"Threshold {in_unit(b.threshold, b)}"),
    ]
    if b.provisional != b.settled:
        title = f"Provisional {in_unit(b.provisional, b)}"
        parts.append(
            _level(f, "provisional", b.provisional, title, style=' stroke="#b54708" stroke-dasharray="2 3"')
        )
    parts.append(f'<polyline class="balance" points="{" ".join(steps)}"/>')
    if end is not None:
        x1, y1, x2, y2 = f.x(today), f.y(b.settled), f.x(end[0]), f.y(end[1])
        label = escape(f"Forecast: below the threshold on {end[0].isoformat()}")
        parts.append(
            f'<line class="forecast" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="#667085" stroke-dasharray="1 4" stroke-width="2"><title>{label}</title></line>'
            f'<circle class="forecast-point" cx="{x2:.1f}" cy="{y2:.1f}" r="3" fill="#667085">'
            f"<title>{label}</title></circle>"
        )
    for point in burn:
        label = escape(f"{point.day.isoformat()}: {in_unit(point.balance, b)}")
        parts.append(
            f'<circle class="point" cx="{f.x(point.day):.1f}" cy="{f.y(point.balance):.1f}" r="2.5" '
            f'data-day="{point.day.isoformat()}" data-value="{point.balance}"><title>{label}</title></circle>'
        )
    parts.extend(_topups(detail, f))
    parts.extend(_axes(detail, f))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text above is escaped


def _topups(detail: BudgetDetail, f: _Frame) -> list[str]:
    """A marker above the balance on the day each credited top-up counts."""
    burn, parts = detail.burn, []
    for topup in detail.topups:
        if topup.credited_at is None:
            continue
        day = topup.credited_at.date()
        if not f.first <= day <= burn[-1].day:
            continue
        level = next((p.balance for p in reversed(burn) if p.day <= day), burn[0].balance)
        label = escape(f"Top-up {topup.invoice_number or topup.id} on {day.isoformat()}")
        cx, cy = f.x(day), f.y(level)
        parts.append(
            f'<path class="topup" d="M{cx:.1f},{cy - 12:.1f} l-6,-10 h12 z"><title>{label}</title></path>'
        )
    return parts


def _axes(detail: BudgetDetail, f: _Frame) -> list[str]:
    """Value labels at the top and bottom, and the first and last day of the time axis."""
    b, parts = detail.budget, []
    for value in (f.high, f.low):
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{f.y(value) + 4:.1f}" text-anchor="end">'
            f"{escape(in_unit(value, b))}</text>"
        )
    parts.append(f'<text class="axis" x="{LEFT}" y="{HEIGHT - 8}">{f.first.isoformat()}</text>')
    parts.append(
        f'<text class="axis" x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end">{f.last.isoformat()}</text>'
    )
    return parts
