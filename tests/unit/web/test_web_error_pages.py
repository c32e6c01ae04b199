"""Error pages: in the dashboard's layout with what to do next for a person, problem details for
the API, and no link into the dashboard on a customer's signed-link page."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pytest
from fastapi import FastAPI

from connector.bootstrap import Container
from connector.web.app import create_app
from connector.web.memory import MemoryDashboard
from connector.web.problems import error_page
from connector.web.views import BudgetRow

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def test_an_unknown_budget_page_says_what_to_do_without_a_command(user_client: TestClient) -> None:
    page = user_client.get("/budgets/nope")
    assert page.status_code == 404 and 'class="sections"' in page.text
    assert "This budget does not exist" in page.text and "Go to the overview" in page.text
    assert "prepaid budgets list" not in page.text and "404 Not Found" not in page.text
    problem = user_client.get("/api/v1/budgets/nope", headers={"Accept": "application/json"})
    assert problem.headers["content-type"].startswith("application/problem+json")
    assert "prepaid budgets list" in problem.json()["detail"]


def test_a_customer_error_page_names_no_dashboard_page() -> None:
    page = error_page("/statement-links/abc", 404, "this statement link is not valid", "link-refused")
    assert page.customer and page.back_url is None and "account manager" in page.next_step
    internal = error_page("/budgets/b1/choices", 409, "entry e1 is already subtracted", "choice-refused")
    assert (internal.back_url, internal.back_label) == ("/budgets/b1", "Back to the budget")
    assert internal.detail == "Entry e1 is already subtracted."


class _Broken(MemoryDashboard):
    def overview(self) -> Sequence[BudgetRow]:
        raise RuntimeError("the database went away")


@pytest.fixture
def broken_app(container: Container) -> FastAPI:
    broken = _Broken([])
    return create_app(container, read_model=broken, actions=broken)


def test_an_unexpected_error_is_a_page_in_the_products_layout(broken_app: FastAPI) -> None:
    with TestClient(broken_app, raise_server_exceptions=False) as client:
        page = client.get("/login")
        assert page.status_code == 200
        response = client.get(
            "/statements", headers={"Authorization": "Bearer test-api-token-0123456789abcdef0123456789"}
        )
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text and "Try again in a minute" in response.text
    assert "the database went away" not in response.text
