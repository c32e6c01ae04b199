"""Liveness, readiness (database, migrations, token state) and metrics."""

from __future__ import annotations

from sqlalchemy import text
from starlette.testclient import TestClient
from support.clock import PINNED_AT

from connector.bootstrap import Container
from connector.metrics import API_RATE_LIMITED, INBOX_PENDING, TOPUPS_BY_STATE, record_sync
from connector.web.app import create_app
from connector.web.health import CheckResult
from connector.web.memory import MemoryDashboard


def test_healthz_answers_without_login(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database_migrations_and_token(
    container: Container, dashboard: MemoryDashboard
) -> None:
    state = {"token": CheckResult(True)}
    app = create_app(container, read_model=dashboard, actions=dashboard, token_check=lambda: state["token"])
    with TestClient(app) as probe:
        ready = probe.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"]) == {"database", "migrations", "token"}
        state["token"] = CheckResult(False, "no Teamleader token; run `prepaid auth login`")
        not_ready = probe.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["checks"]["token"]["detail"].startswith("no Teamleader token")


def test_readyz_fails_when_the_schema_is_behind(container: Container, dashboard: MemoryDashboard) -> None:
    with container.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    app = create_app(container, read_model=dashboard, actions=dashboard)
    with TestClient(app) as probe:
        response = probe.get("/readyz")
    assert response.status_code == 503
    assert "prepaid db upgrade" in response.json()["checks"]["migrations"]["detail"]


def test_a_crashing_check_reports_instead_of_failing(
    container: Container, dashboard: MemoryDashboard
) -> None:
    def broken() -> CheckResult:
        raise RuntimeError("token store unreadable")

    app = create_app(container, read_model=dashboard, actions=dashboard, token_check=broken)
    with TestClient(app) as probe:
        response = probe.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["token"] == {"ok": False, "detail": "token check failed: RuntimeError"}


def test_metrics_expose_the_product_metrics_after_the_scrape_hook(
    container: Container, dashboard: MemoryDashboard
) -> None:
    def refresh() -> None:
        INBOX_PENDING.set(7)
        TOPUPS_BY_STATE.labels(state="draft").set(2)

    record_sync("time_entries", at=PINNED_AT.timestamp())
    API_RATE_LIMITED.labels(operation="timeTracking.list").inc()
    app = create_app(container, read_model=dashboard, actions=dashboard, on_scrape=refresh)
    with TestClient(app) as scraper:
        scraper.get("/healthz")
        body = scraper.get("/metrics").text
    assert "connector_inbox_pending 7.0" in body
    assert 'connector_topups{state="draft"} 2.0' in body
    assert 'connector_sync_lag_seconds{entity="time_entries"}' in body
    assert 'connector_teamleader_rate_limited_total{operation="timeTracking.list"}' in body
    assert 'connector_http_requests_total{method="GET",route="/healthz",status="200"}' in body
