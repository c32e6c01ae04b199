"""Signed statement links: read-only, for one budget and period, refused when altered or expired."""

from __future__ import annotations

import re

from starlette.testclient import TestClient
from support.clock import PINNED_AT, PinnedClock

from connector.settings import Settings

MONTH = f"{PINNED_AT:%Y-%m}"
"""The statement the links are made for: the month of the app's pinned clock."""


def _make_link(user_client: TestClient) -> str:
    page = user_client.post(
        f"/budgets/b1/statements/{MONTH}/link",
        data={"csrf_token": user_client.csrf},  # type: ignore[attr-defined]
    ).text
    match = re.search(r'value="http://[^/]+(/statement-links/[^"]+)"', page)
    assert match, "the page shows no link"
    return match[1]


def test_a_link_shows_the_statement_to_anyone_read_only(user_client: TestClient, app: object) -> None:
    path = _make_link(user_client)
    with TestClient(app) as customer:  # type: ignore[arg-type]
        page = customer.get(path)
        csv = customer.get(f"{path}/csv")
    assert page.status_code == 200 and "Statement" in page.text and "Opening balance" in page.text
    assert "Create a link" not in page.text and "Log out" not in page.text
    assert csv.status_code == 200 and "closing balance" in csv.text


def test_a_tampered_link_is_refused(user_client: TestClient, app: object) -> None:
    path = _make_link(user_client)
    token = path.rsplit("/", 1)[1]
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with TestClient(app) as customer:  # type: ignore[arg-type]
        assert customer.get(f"/statement-links/{altered}").status_code == 404
        assert customer.get(f"/statement-links/{altered}/csv").status_code == 404
        assert customer.get("/statement-links/not-a-token").status_code == 404


def test_a_link_signed_for_another_budget_cannot_be_bent(user_client: TestClient, app: object) -> None:
    import base64
    import json

    token = _make_link(user_client).rsplit("/", 1)[1]
    payload_b64 = token.split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    payload["b"] = "b2"
    forged = (
        base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        + "."
        + token.split(".")[1]
    )
    with TestClient(app) as customer:  # type: ignore[arg-type]
        assert customer.get(f"/statement-links/{forged}").status_code == 404


def test_an_expired_link_is_refused(
    user_client: TestClient, app: object, clock: PinnedClock, web_settings: Settings
) -> None:
    path = _make_link(user_client)
    clock.advance(days=web_settings.statement_link_days, seconds=1)
    with TestClient(app) as customer:  # type: ignore[arg-type]
        response = customer.get(path)
        assert response.status_code == 410 and "expired" in response.text
        assert customer.get(f"{path}/csv").status_code == 410


def test_the_api_makes_links_too(client: TestClient, api_headers: dict[str, str]) -> None:
    response = client.post(f"/api/v1/budgets/b1/statements/{MONTH}/links", headers=api_headers)
    assert response.status_code == 200
    assert "/statement-links/" in response.json()["url"]
