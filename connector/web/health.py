"""Liveness, readiness and Prometheus metrics, reachable without login for the orchestrator.

`/healthz` answers as long as the process serves requests. `/readyz` checks what serving needs:
the database answers, its schema is at the migration head, and any check the composition root
adds (the Teamleader token, the scheduler); each check reports ok or one line saying what to do,
never a secret. `/metrics` runs the scrape hook (e.g. to count top-ups by state) and exposes the
default registry, where `connector.metrics` defines the product's metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text

from connector.bootstrap import Container
from connector.logging import get_logger
from connector.web.access import public

__all__ = ["CheckResult", "HealthConfig", "ReadinessCheck", "router"]

router = APIRouter(include_in_schema=False)
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    detail: str = "ok"


ReadinessCheck = Callable[[], CheckResult]


@dataclass(frozen=True)
class HealthConfig:
    container: Container
    checks: Mapping[str, ReadinessCheck]
    on_scrape: Callable[[], None] | None


def _database(container: Container) -> CheckResult:
    with container.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return CheckResult(True)


def _migrations(container: Container) -> CheckResult:
    if container.schema_is_current():
        return CheckResult(True)
    return CheckResult(False, "the database schema is behind this version; run `prepaid db upgrade`")


def _run(name: str, check: ReadinessCheck) -> CheckResult:
    try:
        return check()
    except Exception as error:  # a failing check must report, not crash the probe
        log.warning("web.readiness_check_failed", check=name, error=type(error).__name__)
        return CheckResult(False, f"{name} check failed: {type(error).__name__}")


@router.get("/healthz")
@public
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
@public
def readyz(request: Request) -> Response:
    config: HealthConfig = request.app.state.health
    checks: dict[str, ReadinessCheck] = {
        "database": lambda: _database(config.container),
        "migrations": lambda: _migrations(config.container),
        **config.checks,
    }
    results = {name: _run(name, check) for name, check in checks.items()}
    ready = all(result.ok for result in results.values())
    body: dict[str, Any] = {
        "status": "ready" if ready else "not ready",
        "checks": {name: {"ok": r.ok, "detail": r.detail} for name, r in results.items()},
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
@public
def metrics(request: Request) -> Response:
    config: HealthConfig = request.app.state.health
    if config.on_scrape is not None:
        try:
            config.on_scrape()
        except Exception as error:  # stale gauges beat a failed scrape
            log.warning("web.metrics_refresh_failed", error=type(error).__name__)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
