"""Webhook registrations and their delivery, as Teamleader does it (teamleader-api.md §4).

Registrations are `{url, types}` without ids. Every matching change is POSTed as
`{"type", "subject": {"type", "id"}, "account": {"type": "account", "id"}}` by a background
thread, so the change that caused it never waits. Deliveries are logged (delivered, failed or
dropped) and a drop probability simulates events that never arrive; there are no retries, since
Teamleader documents none.
"""

from __future__ import annotations

import queue
import random
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from connector.sandbox.clock import Clock
from connector.sandbox.config import RuntimeSettings
from connector.sandbox.model import Ref

__all__ = ["Delivery", "WebhookHub"]

_STOP = object()


@dataclass(slots=True)
class Delivery:
    url: str
    payload: dict[str, Any]
    outcome: str = "queued"
    status_code: int | None = None
    error: str | None = None
    attempted_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "payload": self.payload,
            "outcome": self.outcome,
            "status_code": self.status_code,
            "error": self.error,
            "attempted_at": self.attempted_at.isoformat() if self.attempted_at else None,
        }


class WebhookHub:
    def __init__(
        self,
        settings: RuntimeSettings,
        clock: Clock,
        *,
        seed: int = 0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.registrations: dict[str, set[str]] = {}
        self.account_id = ""
        self._settings = settings
        self._clock = clock
        self._rng = random.Random(seed)
        self._transport = transport
        self._log: list[Delivery] = []
        self._log_lock = threading.Lock()
        self._queue: queue.Queue[Any] = queue.Queue()
        self._worker: threading.Thread | None = None

    def register(self, url: str, types: list[str]) -> None:
        self.registrations.setdefault(url, set()).update(types)

    def unregister(self, url: str, types: list[str]) -> None:
        remaining = self.registrations.get(url, set()) - set(types)
        if remaining:
            self.registrations[url] = remaining
        else:
            self.registrations.pop(url, None)

    def listing(self) -> list[dict[str, Any]]:
        return [{"url": url, "types": sorted(types)} for url, types in sorted(self.registrations.items())]

    def publish(self, event_type: str, subject: Ref) -> None:
        """Queues one delivery per registration that listens to `event_type`."""
        payload = {
            "type": event_type,
            "subject": {"type": subject[0], "id": subject[1]},
            "account": {"type": "account", "id": self.account_id},
        }
        for url, types in sorted(self.registrations.items()):
            if event_type not in types:
                continue
            delivery = Delivery(url=url, payload=payload)
            with self._log_lock:
                self._log.append(delivery)
            if self._rng.random() < self._settings.webhook_drop_probability:
                delivery.outcome = "dropped"
                continue
            self._ensure_worker()
            self._queue.put(delivery)

    def deliveries(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return [delivery.as_dict() for delivery in self._log]

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Blocks until every queued delivery was attempted; False on timeout."""
        done = threading.Event()

        def joiner() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=joiner, daemon=True).start()
        return done.wait(timeout)

    def close(self) -> None:
        worker = self._worker
        if worker is not None:
            self._queue.put(_STOP)
            worker.join(timeout=10)
            self._worker = None

    def _ensure_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        with httpx.Client(transport=self._transport, timeout=5.0) as client:
            while True:
                item = self._queue.get()
                try:
                    if item is _STOP:
                        return
                    self._deliver(client, item)
                finally:
                    self._queue.task_done()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        delivery.attempted_at = self._clock.now()
        try:
            response = client.post(delivery.url, json=delivery.payload)
        except httpx.HTTPError as exc:
            delivery.outcome = "failed"
            delivery.error = f"{type(exc).__name__}: {exc}"
            return
        delivery.status_code = response.status_code
        delivery.outcome = "delivered" if response.is_success else "failed"
