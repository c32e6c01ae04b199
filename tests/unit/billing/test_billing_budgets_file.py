from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from billing_factories import ACME

from connector.billing.budgets_file import parse_budgets_file
from connector.billing.entries import CustomerRef, CustomerType
from connector.billing.errors import BudgetsFileError
from connector.billing.money import Money
from connector.billing.units import UnitKind

EXAMPLE = Path(__file__).parents[3] / "config" / "budgets.example.toml"

GOOD = """\
[[budget]]
id = "acme"
name = "Acme support"
customer = "Acme NV"
start = 2026-01-01
threshold = 500.10
mode = "auto"

[budget.valuation]
default_rate = 90.00
rounding_minutes = 15

[[budget.rules]]
id = "support"
tags = ["#support"]
"""


def test_budgets_file_example_documents_valid_budgets() -> None:
    specs = parse_budgets_file(EXAMPLE.read_text(), str(EXAMPLE))
    assert len(specs) >= 3
    assert {spec.template.unit.kind for spec in specs} == {UnitKind.MONEY, UnitKind.HOURS}
    assert any(spec.customer_id is not None for spec in specs)
    assert any(spec.customer_name is not None for spec in specs)


def test_budgets_file_reads_exact_decimals_and_builds_budgets() -> None:
    (spec,) = parse_budgets_file(GOOD)
    b = spec.build(ACME, version=3)
    assert (spec.customer_name, spec.customer_id, spec.line) == ("Acme NV", None, 1)
    assert b.threshold == Decimal("500.10") and b.customer == ACME and b.version == 3
    assert b.valuation.default_rate == Money.of("90", "EUR")
    assert b.valuation.rounding_increment_seconds == 900
    assert b.rules[0].tags == {"support"}


def test_budgets_file_names_people_to_the_customer_only_when_it_says_so() -> None:
    (spec,) = parse_budgets_file(GOOD)
    assert spec.template.show_people_to_customer is False
    (spec,) = parse_budgets_file(
        GOOD.replace('mode = "auto"', 'mode = "auto"\nshow_people_to_customer = true')
    )
    assert spec.template.show_people_to_customer is True
    with pytest.raises(BudgetsFileError, match="show_people_to_customer"):
        parse_budgets_file(GOOD.replace('mode = "auto"', 'mode = "auto"\nshow_people_to_customer = "maybe"'))


def test_budgets_file_customer_by_teamleader_id() -> None:
    text = GOOD.replace('customer = "Acme NV"', 'customer = { type = "contact", id = "ct-1" }')
    (spec,) = parse_budgets_file(text)
    assert spec.customer_id == CustomerRef(CustomerType.CONTACT, "ct-1")


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("threshold = 500.10", 'threshold = "lots"', 6, "budget[0].threshold"),
        ("threshold = 500.10", "treshold = 5", 6, "budget[0].treshold"),
        ('mode = "auto"', 'mode = "sometimes"', 7, "budget[0].mode"),
        ("rounding_minutes = 15", "rounding_minutes = -15", 11, "budget[0].valuation.rounding_minutes"),
        ('tags = ["#support"]', 'tags = ["#support"]\ncolour = "red"', 16, "budget[0].rules[0].colour"),
        ('id = "support"', 'id = ""', 14, "budget[0].rules[0].id"),
        ("start = 2026-01-01", "start = 2026-01-01\nend = 2025-01-01", 6, "end"),
        ("default_rate = 90.00", "default_rate = -1", 10, "valuation.default_rate"),
        ('mode = "auto"', 'mode = "auto"\ntime_zone = "Moon/Base"', 8, "time_zone"),
        ('mode = "auto"', 'mode = "auto"\ncurrency = "ABC"', 8, "currency"),
        ('mode = "auto"', 'mode = "auto"\nunit = "hours"', 1, "hour_price"),
        ("threshold = 500.10", "threshold = 500.10\nthreshold = 3", 7, "syntax"),
        ('name = "Acme support"\n', "", 1, "budget[0].name"),
    ],
)
def test_budgets_file_rejects_whole_file_with_line_and_field(
    old: str, new: str, line: int, field: str
) -> None:
    text = GOOD.replace(old, new)
    assert text != GOOD
    with pytest.raises(BudgetsFileError) as caught:
        parse_budgets_file(text, "config/budgets.toml")
    assert (caught.value.line, caught.value.field) == (line, field)
    assert str(caught.value).startswith(f"config/budgets.toml:{line}: {field}: ")


def test_budgets_file_rejects_duplicate_ids_and_syntax_errors_with_line() -> None:
    with pytest.raises(BudgetsFileError, match="twice") as caught:
        parse_budgets_file(
            GOOD + "\n" + GOOD.split("\n[budget.valuation]")[0].replace("[[budget]]", "[[budget]]")
        )
    assert caught.value.line == 18
    with pytest.raises(BudgetsFileError) as syntax:
        parse_budgets_file("[[budget]]\nid = \n")
    assert syntax.value.field == "syntax" and syntax.value.line == 2
