"""The burn chart, drawn on the server as inline SVG: balance over time, threshold, zero, top-ups.

No chart library and no script: the page stays printable, the figure renders with JavaScript off,
and a test can read the numbers back from the markup (each point carries a `<title>`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

from connector.web.formatting import in_unit
from connector.web.views import BudgetRow, BurnPoint, TopupView

__all__ = ["burn_chart"]

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 90, 20, 16, 28


def _scale(burn: Sequence[BurnPoint], threshold: Decimal) -> tuple[date, int, Decimal, Decimal]:
    first = burn[0].day
    days = max((burn[-1].day - first).days, 1)
    values = [p.balance for p in burn] + [threshold, Decimal(0)]
    low, high = min(values), max(values)
    if high == low:
        high = low + 1
    return first, days, low, high


def burn_chart(burn: Sequence[BurnPoint], budget: BudgetRow, topups: Sequence[TopupView]) -> Markup:
    """An SVG of the settled balance; an explanatory line of text when there is no history yet."""
    if not burn:
        return Markup('<p class="muted">No balance history yet.</p>')
    first, days, low, high = _scale(burn, budget.threshold)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first).days / days

    def y(value: Decimal) -> float:
        return TOP + plot_h * float((high - value) / (high - low))

    points = " ".join(f"{x(p.day):.1f},{y(p.balance):.1f}" for p in burn)
    parts = [
        f'<svg class="burn" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="Balance over time">',
        f'<line class="zero" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(Decimal(0)):.1f}" y2="{y(Decimal(0)):.1f}"/>',
        f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(budget.threshold):.1f}" '
        f'y2="{y(budget.threshold):.1f}"><title>Threshold {escape(in_unit(budget.threshold, budget))}</title></line>',
        f'<polyline class="balance" points="{points}"/>',
    ]
    for point in burn:
        label = escape(f"{point.day.isoformat()}: {in_unit(point.balance, budget)}")
        parts.append(
            f'<circle class="point" cx="{x(point.day):.1f}" cy="{y(point.balance):.1f}" r="2.5"><title>{label}</title></circle>'
        )
    balances = {p.day: p.balance for p in burn}
    for topup in topups:
        if topup.credited_at is None:
            continue
        day = topup.credited_at.date()
        if not first <= day <= burn[-1].day:
            continue
        level = balances.get(day, burn[-1].balance)
        label = escape(f"Top-up {topup.invoice_number or topup.id} on {day.isoformat()}")
        cx, cy = x(day), y(level)
        parts.append(
            f'<path class="topup" d="M{cx:.1f},{cy - 12:.1f} l-6,-10 h12 z"><title>{label}</title></path>'
        )
    for value in (high, low):
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{escape(in_unit(value, budget))}</text>"
        )
    parts.append(f'<text class="axis" x="{LEFT}" y="{HEIGHT - 8}">{first.isoformat()}</text>')
    parts.append(
        f'<text class="axis" x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end">{burn[-1].day.isoformat()}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text above is escaped
