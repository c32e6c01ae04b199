"""Statement periods as people and URLs write them: a month, a quarter, a year, or a range of days.

One parser serves the page URLs, the JSON API and the signed links, so a period means the same
days everywhere; the label it returns is the canonical spelling used in file names and links.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date

from connector.web.ports import DashboardError
from connector.web.views import StatementPeriod

__all__ = ["InvalidPeriod", "parse_period"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_EXAMPLES = "2026-11 (a month), 2026-Q4 (a quarter), 2026 (a year) or 2026-11-01..2026-11-15"


class InvalidPeriod(DashboardError):
    def __init__(self, text: str, why: str) -> None:
        super().__init__(f"period {text!r} {why}; write it as {_EXAMPLES}")


def _month(year: int, month: int, text: str) -> StatementPeriod:
    if year < 1 or not 1 <= month <= 12:
        raise InvalidPeriod(text, "has no such month")
    last = monthrange(year, month)[1]
    return StatementPeriod(date(year, month, 1), date(year, month, last), f"{year:04d}-{month:02d}")


def parse_period(text: str) -> StatementPeriod:
    """The period that `text` names, or `InvalidPeriod` saying how to write one."""
    text = text.strip()
    if match := _MONTH.match(text):
        return _month(int(match[1]), int(match[2]), text)
    if match := _QUARTER.match(text):
        year, quarter = int(match[1]), int(match[2])
        first = _month(year, 3 * quarter - 2, text)
        last = _month(year, 3 * quarter, text)
        return StatementPeriod(first.start, last.end, f"{year:04d}-Q{quarter}")
    if match := _YEAR.match(text):
        year = int(match[1])
        if year < 1:
            raise InvalidPeriod(text, "has no such year")
        return StatementPeriod(date(year, 1, 1), date(year, 12, 31), f"{year:04d}")
    if match := _RANGE.match(text):
        try:
            start, end = date.fromisoformat(match[1]), date.fromisoformat(match[2])
        except ValueError:
            raise InvalidPeriod(text, "names a day that does not exist") from None
        if end < start:
            raise InvalidPeriod(text, "ends before it starts")
        return StatementPeriod(start, end, f"{start.isoformat()}..{end.isoformat()}")
    raise InvalidPeriod(text, "is not a period")
