"""The access gate: nothing but the declared public routes answers without a login or the API token."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI, Request
from starlette.testclient import TestClient
from support.clock import PINNED_AT

from connector.bootstrap import Container
from connector.settings import Settings
from connector.web.access import Access, access_of, app_routes, public_machine
from connector.web.app import SESSION_COOKIE, create_app
from connector.web.memory import MemoryDashboard

PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/login",
    "/statement-links/{token}",
    "/statement-links/{token}/csv",
    "/static",
}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _methods(route: object) -> set[str]:
    return set(getattr(route, "methods", None) or {"GET"}) - {"HEAD"}


def test_only_the_declared_routes_are_public(app: FastAPI) -> None:
    declared = {
        route.path for route in app_routes(app) if access_of(route, ("static",)) is not Access.PRIVATE
    }
    assert declared == PUBLIC


def test_every_other_route_refuses_an_anonymous_request(app: FastAPI) -> None:
    checked = 0
    with TestClient(app, follow_redirects=False) as anonymous:
        for route in app_routes(app):
            if route.path in PUBLIC:
                continue
            for method in _methods(route):
                path = _concrete(route.path or "/")
                response = anonymous.request(method, path)
                checked += 1
                if response.status_code == 303:
                    assert response.headers["location"].startswith("/login?next="), (method, path)
                else:
                    assert response.status_code == 401, (method, path, response.status_code)
    assert checked >= 15


def test_the_api_answers_401_as_problem_details_and_a_page_redirects(client: TestClient) -> None:
    api = client.get("/api/v1/budgets")
    assert api.status_code == 401
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["status"] == 401 and api.headers["www-authenticate"].startswith("Bearer")
    page = client.get("/budgets/b1?x=1")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/budgets/b1%3Fx%3D1"
    assert client.get("/no-such-page", headers={"accept": "application/json"}).status_code == 401


def test_the_api_token_opens_the_api_and_a_wrong_one_does_not(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    assert client.get("/api/v1/budgets", headers=api_headers).status_code == 200
    wrong = client.get("/api/v1/budgets", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    basic = client.get("/api/v1/budgets", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert basic.status_code == 401


def test_login_sets_a_hardened_cookie_and_wrong_passwords_fail(
    client: TestClient, web_settings: Settings, password: str, csrf: object
) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    wrong = client.post(
        "/login", data={"username": web_settings.admin_user, "password": "nope", "csrf_token": token[1]}
    )
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    right = client.post(
        "/login",
        data={
            "username": web_settings.admin_user,
            "password": password,
            "csrf_token": token[1],
            "next": "//evil.example",
        },
    )
    assert right.status_code == 303 and right.headers["location"] == "/"
    cookie = right.headers["set-cookie"].lower()
    assert cookie.startswith(SESSION_COOKIE) and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie
    assert client.get("/").status_code == 200


def test_cookie_is_secure_behind_an_https_public_url(
    web_settings: Settings, container: Container, dashboard: MemoryDashboard, password: str
) -> None:
    https = Container(
        web_settings.model_copy(update={"public_url": "https://prepaid.example"}),
        container.engine,
        clock=container.clock,
    )
    app = create_app(https, read_model=dashboard, actions=dashboard)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as browser:
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text)
        assert token
        response = browser.post(
            "/login", data={"username": web_settings.admin_user, "password": password, "csrf_token": token[1]}
        )
        assert "secure" in response.headers["set-cookie"].lower()


def test_logout_ends_the_session(user_client: TestClient) -> None:
    response = user_client.post("/logout", data={"csrf_token": user_client.csrf})  # type: ignore[attr-defined]
    assert response.status_code == 303
    assert user_client.get("/").status_code == 303


def test_a_public_machine_route_from_another_layer_needs_neither_login_nor_csrf(
    container: Container, dashboard: MemoryDashboard
) -> None:
    hooks = APIRouter()

    @hooks.post("/webhooks/teamleader/{secret}")
    @public_machine
    def receive(secret: str, request: Request) -> dict[str, str]:
        return {"received": "yes"}

    app = create_app(container, read_model=dashboard, actions=dashboard, routers=[hooks])
    with TestClient(app) as anonymous:
        assert anonymous.post("/webhooks/teamleader/s3cret", json={}).json() == {"received": "yes"}


@pytest.mark.parametrize("path", ["/", "/budgets/b1", f"/budgets/b1/statements/{PINNED_AT:%Y-%m}", "/login"])
def test_no_page_shows_a_secret(user_client: TestClient, web_settings: Settings, path: str) -> None:
    page = user_client.get(path).text
    for secret in (web_settings.api_token, web_settings.admin_password_hash, web_settings.secret_key):
        assert secret is not None and secret.get_secret_value() not in page
