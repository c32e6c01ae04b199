"""Which Teamleader operations may be repeated, and how: classified per operation, not per verb.

Every Teamleader call is a POST, so "retry GETs" would mean nothing. Reads (`*.list`, `*.info`,
`users.me`) are retried on 5xx, timeouts and dropped connections with exponential backoff and
jitter. Idempotent writes (a full-state `companies.update`, `webhooks.unregister`) may be retried
the same way. Every other write (`invoices.draft`, `invoices.book`, `*.add`, `webhooks.register`,
`invoices.registerPayment`) is retried only when it certainly was not executed: the connection was
never made, or Teamleader answered 429. Otherwise it raises `OutcomeUnknown` and the caller (the
invoicing worker) looks before it tries again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from enum import Enum

from tenacity import RetryCallState, wait_exponential_jitter

from connector.teamleader.errors import RateLimited, ServerError, TransportFailed

__all__ = ["Operation", "classify", "is_retryable", "wait_for"]

MAX_ATTEMPTS = 6
RATE_LIMIT_JITTER_SECONDS = 1.0


class Operation(Enum):
    """How safe it is to send an operation twice."""

    READ = "read"
    IDEMPOTENT_WRITE = "idempotent_write"
    WRITE = "write"


_READ_ACTIONS = frozenset({"list", "info", "me"})
_IDEMPOTENT_WRITES = frozenset(
    {"companies.update", "contacts.update", "invoices.update", "webhooks.unregister"}
)


def classify(endpoint: str) -> Operation:
    """The operation kind of `resource.action`; unknown writes are treated as unsafe to repeat."""
    action = endpoint.rsplit(".", 1)[-1]
    if action in _READ_ACTIONS:
        return Operation.READ
    if endpoint in _IDEMPOTENT_WRITES:
        return Operation.IDEMPOTENT_WRITE
    return Operation.WRITE


def is_retryable(operation: Operation) -> Callable[[BaseException], bool]:
    """The tenacity predicate for one operation kind."""

    def predicate(error: BaseException) -> bool:
        if isinstance(error, RateLimited):
            return True
        if isinstance(error, TransportFailed):
            return operation is not Operation.WRITE or not error.sent
        return isinstance(error, ServerError)

    return predicate


def wait_for(rng: random.Random) -> Callable[[RetryCallState], float]:
    """Wait as a 429's headers say (plus jitter), otherwise exponential backoff with jitter."""
    backoff = wait_exponential_jitter(multiplier=0.5, max=10.0, jitter=0.5)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, RateLimited):
            return error.retry_after + rng.uniform(0.0, RATE_LIMIT_JITTER_SECONDS)
        return float(backoff(state))

    return wait
