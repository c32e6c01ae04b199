"""One Teamleader API call on the wire: pacing, bearer token, 401 replay, retries, typed errors.

Every call is `POST <api_url>/<resource>.<action>` with a JSON body (money as exact decimals) and
the pinned `X-Api-Version`. Before sending, the rate limiter gives a slot; after, it reads the
rate-limit headers. A 401 makes the token source reload or refresh once and the call is replayed
once; a second 401 means access was withdrawn. Each call names its `Lane` (urgent unless said
otherwise): the limiter lets bulk calls use only part of the minute; `in_lane()` gives a job
(a sync, the write-back) a view of the one transport whose calls are bulk and counted apart.
Retries follow `connector.teamleader.operations` (tenacity, backoff with jitter, the injectable
clock's sleep). A caller with a time budget (the sync's customer lookups) passes a `deadline` on
the clock's monotonic scale: no retry starts whose back-off would end past it and no request
waits longer than what is left, so an outage costs that caller its budget, not six attempts with
back-off per call. The sync `httpx.Client` is
thread-safe, so one transport serves every worker thread of the process.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from connector.clock import Clock
from connector.logging import get_logger
from connector.metrics import API_CALLS, API_RATE_LIMITED
from connector.storage.token_store import StoredConnection
from connector.teamleader.errors import (
    MalformedResponse,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ReauthorizationRequired,
    RequestFailed,
    ServerError,
    TransportFailed,
    ValidationFailed,
)
from connector.teamleader.jsoncodec import dumps, loads
from connector.teamleader.operations import MAX_ATTEMPTS, Operation, classify, is_retryable, wait_for
from connector.teamleader.ratelimit import (
    FALLBACK_WAIT_SECONDS,
    Lane,
    RateLimiter,
    RateLimitStatus,
    read_status,
)
from connector.teamleader.responses import error_text
from connector.teamleader.tokens import AccessTokens

__all__ = ["API_TIMEOUT", "ApiTransport", "LaneTransport"]

API_TIMEOUT = httpx.Timeout(30.0, connect=5.0, pool=10.0)
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_log = get_logger(__name__)


class ApiTransport:
    """Sends calls to the Teamleader API; counts them for the sync statistics."""

    def __init__(
        self,
        *,
        api_url: str,
        api_version: str,
        tokens: AccessTokens,
        limiter: RateLimiter,
        http: httpx.Client,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._api_version = api_version
        self._tokens = tokens
        self._limiter = limiter
        self._http = http
        self._clock = clock
        self._rng = rng or random.Random()
        self._count_lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._lane_calls: Counter[Lane] = Counter()

    @property
    def api_calls(self) -> int:
        """HTTP requests sent to the API so far (retries and replays included)."""
        with self._count_lock:
            return sum(self._calls.values())

    def api_calls_by_endpoint(self) -> dict[str, int]:
        """The same count, per `resource.action`."""
        with self._count_lock:
            return dict(self._calls)

    def api_calls_by_lane(self) -> dict[str, int]:
        """The same count, per lane (urgent, bulk)."""
        with self._count_lock:
            return {lane.value: self._lane_calls[lane] for lane in Lane}

    def rate_waits(self) -> dict[str, float]:
        """Seconds each lane was held back by the limiter so far."""
        return self._limiter.waited_seconds()

    @property
    def rate_limit(self) -> RateLimitStatus | None:
        """The rate-limit headers of the last response."""
        return self._limiter.last_status

    def in_lane(self, lane: Lane) -> LaneTransport:
        """This transport for one job whose calls all go in `lane`, with a call count of its own."""
        return LaneTransport(self, lane)

    def call(
        self,
        endpoint: str,
        body: Mapping[str, Any] | None = None,
        *,
        lane: Lane = Lane.URGENT,
        on_sent: Callable[[], None] | None = None,
        deadline: float | None = None,
    ) -> Any:
        """Call `endpoint` in `lane` and return its parsed JSON (None for an empty 204).

        `on_sent` is told of every request put on the wire for this call (retries included).
        With `deadline` (the clock's monotonic seconds), retries stop before their back-off would
        pass it and each request's timeout is cut to the time left; the last error is raised.
        """
        operation = classify(endpoint)
        content = dumps(dict(body) if body is not None else {})
        stop: Any = stop_after_attempt(MAX_ATTEMPTS)
        if deadline is not None:
            stop = stop | self._stop_at(deadline)
        retrying = Retrying(
            retry=retry_if_exception(is_retryable(operation)),
            wait=wait_for(self._rng),
            stop=stop,
            sleep=self._clock.sleep,
            reraise=True,
            before_sleep=self._log_retry,
        )
        return retrying(self._attempt, endpoint, content, operation, lane, on_sent, deadline)

    def _stop_at(self, deadline: float) -> Callable[[RetryCallState], bool]:
        def stop(state: RetryCallState) -> bool:
            return self._clock.monotonic() + (state.upcoming_sleep or 0.0) >= deadline

        return stop

    def refresh_token_if_expiring(self, within: float) -> bool:
        """See `AccessTokens.refresh_if_expiring`."""
        return self._tokens.refresh_if_expiring(within)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _attempt(
        self,
        endpoint: str,
        content: bytes,
        operation: Operation,
        lane: Lane,
        on_sent: Callable[[], None] | None,
        deadline: float | None,
    ) -> Any:
        connection = self._tokens.current()
        response = self._send(endpoint, content, connection, operation, lane, on_sent, deadline)
        if response.status_code == 401:
            _log.info("teamleader.unauthorized", endpoint=endpoint)
            connection = self._tokens.after_unauthorized(connection)
            response = self._send(endpoint, content, connection, operation, lane, on_sent, deadline)
            if response.status_code == 401:
                raise ReauthorizationRequired(
                    f"Teamleader refused a fresh access token for {endpoint}: {error_text(response)}"
                )
        return self._parse(endpoint, response, operation)

    def _send(
        self,
        endpoint: str,
        content: bytes,
        connection: StoredConnection,
        operation: Operation,
        lane: Lane,
        on_sent: Callable[[], None] | None,
        deadline: float | None,
    ) -> httpx.Response:
        self._limiter.acquire(lane)
        with self._count_lock:
            self._calls[endpoint] += 1
            self._lane_calls[lane] += 1
        if on_sent is not None:
            on_sent()
        headers = {
            "Authorization": f"Bearer {connection.access_token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Api-Version": self._api_version,
        }
        timeout = httpx.USE_CLIENT_DEFAULT if deadline is None else self._timeout_until(deadline)
        try:
            response = self._http.post(
                f"{self._api_url}/{endpoint}", content=content, headers=headers, timeout=timeout
            )
        except _NOT_SENT as exc:
            raise TransportFailed(endpoint, type(exc).__name__, sent=False) from None
        except httpx.TransportError as exc:
            if operation is Operation.WRITE:
                raise OutcomeUnknown(endpoint, f"{type(exc).__name__} after the request was sent") from None
            raise TransportFailed(endpoint, type(exc).__name__, sent=True) from None
        self._limiter.observe(response.headers)
        status = response.status_code
        API_CALLS.labels(
            operation=endpoint, status_class="429" if status == 429 else f"{status // 100}xx"
        ).inc()
        if status == 429:
            API_RATE_LIMITED.labels(operation=endpoint).inc()
        return response

    def _timeout_until(self, deadline: float) -> httpx.Timeout:
        """The client's timeouts, cut to the time left before `deadline` (at least half a second)."""
        left = max(0.5, deadline - self._clock.monotonic())
        return httpx.Timeout(
            min(left, API_TIMEOUT.read or left),
            connect=min(left, API_TIMEOUT.connect or left),
            pool=min(left, API_TIMEOUT.pool or left),
        )

    def _parse(self, endpoint: str, response: httpx.Response, operation: Operation) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            if not response.content.strip():
                return None
            try:
                return loads(response.content)
            except ValueError:
                snippet = response.text[:120].replace("\n", " ")
                if operation is Operation.WRITE:
                    raise OutcomeUnknown(endpoint, f"HTTP {status} with a body that is not JSON") from None
                raise MalformedResponse(endpoint, status, f"the body is not JSON: {snippet!r}") from None
        detail = error_text(response)
        if status == 429:
            facts = read_status(response.headers, self._clock.time())
            wait = facts.retry_after if facts.retry_after is not None else facts.reset_in
            wait = FALLBACK_WAIT_SECONDS if wait is None else wait
            self._limiter.block_for(wait)
            raise RateLimited(endpoint, status, detail, wait)
        if status >= 500:
            if operation is Operation.WRITE:
                raise OutcomeUnknown(endpoint, f"HTTP {status}: {detail}")
            raise ServerError(endpoint, status, detail)
        if status == 404:
            raise NotFound(endpoint, status, detail)
        if status in (400, 422):
            raise ValidationFailed(endpoint, status, detail)
        raise RequestFailed(endpoint, status, detail)

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        _log.warning(
            "teamleader.retry",
            endpoint=state.args[0] if state.args else None,
            attempt=state.attempt_number,
            wait=round(state.upcoming_sleep, 2),
            error=str(error),
        )


class LaneTransport:
    """One job's view of the process transport: its calls go in one lane and are counted apart.

    The sync engine reads `api_calls` before and after each resource; through a view that count is
    the job's own, not the process's (webhook batches run beside it). The connection pool, the
    tokens and the rate limiter stay the process's: `close()` leaves them to their owner.
    """

    def __init__(self, transport: ApiTransport, lane: Lane) -> None:
        self._transport = transport
        self._lane = lane
        self._lock = threading.Lock()
        self._calls = 0

    @property
    def lane(self) -> Lane:
        """The lane every call of this view goes in."""
        return self._lane

    @property
    def api_calls(self) -> int:
        """HTTP requests this view put on the wire (retries and replays included)."""
        with self._lock:
            return self._calls

    @property
    def rate_limit(self) -> RateLimitStatus | None:
        """The rate-limit headers of the process's last response."""
        return self._transport.rate_limit

    def in_lane(self, lane: Lane) -> LaneTransport:
        """A view of the same process transport in another lane."""
        return LaneTransport(self._transport, lane)

    def call(
        self, endpoint: str, body: Mapping[str, Any] | None = None, *, deadline: float | None = None
    ) -> Any:
        """Call `endpoint` in this view's lane (`deadline` as in `ApiTransport.call`)."""
        return self._transport.call(endpoint, body, lane=self._lane, on_sent=self._count, deadline=deadline)

    def refresh_token_if_expiring(self, within: float) -> bool:
        """See `AccessTokens.refresh_if_expiring`."""
        return self._transport.refresh_token_if_expiring(within)

    def close(self) -> None:
        """Nothing to release: the pool belongs to the process transport."""

    def _count(self) -> None:
        with self._lock:
            self._calls += 1
