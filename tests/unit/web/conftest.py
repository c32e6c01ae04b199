"""Fixtures for the web tests: an app on a migrated SQLite file, the in-memory ports, clients.

The app and its container run on a `PinnedClock` at `PINNED_AT`, and the sample dashboard is dated
from that day, so statement months and link expiry are the same on any date.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning
from support.clock import PINNED_AT, PinnedClock

from connector.bootstrap import Container
from connector.settings import Settings
from connector.storage import create_db_engine
from connector.web.app import create_app
from connector.web.memory import MemoryDashboard, sample_dashboard
from connector.web.security import hash_password

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 fork, which must stay uninstalled (respx and authlib need httpx).
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

USER = "anna"
PASSWORD = "correct horse battery staple"
API_TOKEN = "test-api-token-0123456789abcdef0123456789"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def web_settings(tmp_path: Path, sqlite_url: str, password_hash: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=sqlite_url,
        secret_key="test-secret-key-0123456789abcdef0123456789",
        admin_user=USER,
        admin_password_hash=password_hash,
        api_token=API_TOKEN,
    )


@pytest.fixture
def container(web_settings: Settings, clock: PinnedClock) -> Iterator[Container]:
    box = Container(web_settings, create_db_engine(web_settings.resolved_database_url), clock=clock)
    yield box
    box.close()


@pytest.fixture
def dashboard() -> MemoryDashboard:
    """The sample budgets as of the pinned day: entries up to it, choices ledgered on it."""
    return sample_dashboard(budgets=3, entries=6, today=PINNED_AT.date())


@pytest.fixture
def clock() -> PinnedClock:
    """The app's and the container's clock: tests move time with `clock.advance(...)`."""
    return PinnedClock()


@pytest.fixture
def app(container: Container, dashboard: MemoryDashboard, clock: PinnedClock) -> FastAPI:
    return create_app(container, read_model=dashboard, actions=dashboard, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match[1]


@pytest.fixture
def csrf() -> Callable[[str], str]:
    """Reads the CSRF token out of a page's form."""
    return csrf_of


@pytest.fixture
def user_client(client: TestClient) -> TestClient:
    """A client logged in through the login form; `client.csrf` holds the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"username": USER, "password": PASSWORD, "csrf_token": token, "next": "/"}
    )
    assert response.status_code == 303, response.text
    client.csrf = csrf_of(client.get("/").text)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def api_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_TOKEN}"}
