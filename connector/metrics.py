"""The product's Prometheus metrics, defined once so that sync, invoicing and the web layer share them.

Import the objects and update them where the event happens: `API_CALLS.labels(operation=...,
status_class="2xx").inc()` in the API client, `INBOX_PENDING.set(n)`, `TOPUPS_BY_STATE.labels(
state="draft").set(n)` from the scrape hook, `record_sync(entity)` after a successful sync. Sync lag
is computed when scraped (now minus the last successful sync), so it grows while sync is stuck.
This module imports only prometheus-client, so any layer may import it cheaply.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from connector.clock import SYSTEM_CLOCK

__all__ = [
    "API_CALLS",
    "API_RATE_LIMITED",
    "HTTP_REQUESTS",
    "HTTP_REQUEST_SECONDS",
    "INBOX_PENDING",
    "LAST_SYNC",
    "TOPUPS_BY_STATE",
    "WEBHOOK_EVENTS",
    "record_sync",
]

API_CALLS = Counter(
    "connector_teamleader_requests_total",
    "Calls to the Teamleader API, by operation and status class (2xx, 4xx, 429, 5xx, error).",
    ["operation", "status_class"],
)
API_RATE_LIMITED = Counter(
    "connector_teamleader_rate_limited_total",
    "Teamleader answers with 429 Too Many Requests, by operation.",
    ["operation"],
)
INBOX_PENDING = Gauge("connector_inbox_pending", "Webhook events received and not yet processed.")
WEBHOOK_EVENTS = Counter(
    "connector_webhook_events_total", "Webhook events received, by type and outcome.", ["type", "outcome"]
)
TOPUPS_BY_STATE = Gauge("connector_topups", "Top-ups currently in each state.", ["state"])
LAST_SYNC = Gauge(
    "connector_last_successful_sync_timestamp_seconds",
    "Unix time of the last successful sync, by entity (time entries, companies...).",
    ["entity"],
)
HTTP_REQUESTS = Counter(
    "connector_http_requests_total",
    "Requests served by the web app, by route template.",
    ["route", "method", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "connector_http_request_duration_seconds", "Time to serve a request, by route template.", ["route"]
)


def record_sync(entity: str, at: float) -> None:
    """Note a successful sync of `entity` at the Unix time `at`."""
    LAST_SYNC.labels(entity=entity).set(at)


class _SyncLag(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "connector_sync_lag_seconds",
            "Seconds since the last successful sync, by entity.",
            labels=["entity"],
        )
        now = SYSTEM_CLOCK.time()
        for metric in LAST_SYNC.collect():
            for sample in metric.samples:
                family.add_metric([sample.labels["entity"]], max(0.0, now - sample.value))
        yield family


REGISTRY.register(_SyncLag())
