"""The errors the Teamleader client raises, as one tree so callers catch at the level they need.

    PrepaidError (connector.errors)
    └── TeamleaderError                  anything that went wrong talking to Teamleader
        ├── RequestFailed                Teamleader answered with an error status
        │   ├── RateLimited              429: over the rate limit (retried by the client first)
        │   ├── NotFound                 404: the record does not exist (or was deleted)
        │   ├── ValidationFailed         400: invalid data or a reference to a missing record
        │   ├── ServerError              5xx on a read (retried by the client first)
        │   └── MalformedResponse        a 2xx whose body is not the JSON the API promises
        ├── AuthError                    the token endpoint or a token was refused
        │   ├── TokenRefused             400/401 from the token endpoint (code or refresh token)
        │   └── ReauthorizationRequired  a person must run `prepaid auth login` again
        ├── OutcomeUnknown               a write may or may not have been applied
        └── TransportFailed              no answer (connection refused, timeout on a read)

`OutcomeUnknown` is deliberately not a `RequestFailed`: it means "look before you retry" (the
invoicing worker searches for the draft by its marker), never "it failed".
"""

from __future__ import annotations

from connector.errors import PrepaidError

__all__ = [
    "AuthError",
    "MalformedResponse",
    "NotFound",
    "OutcomeUnknown",
    "RateLimited",
    "ReauthorizationRequired",
    "RequestFailed",
    "ServerError",
    "TeamleaderError",
    "TokenRefused",
    "TransportFailed",
    "ValidationFailed",
]

LOGIN_COMMAND = "prepaid auth login"


class TeamleaderError(PrepaidError):
    """Base of every error raised while talking to Teamleader."""


class RequestFailed(TeamleaderError):
    """Teamleader answered `endpoint` with an error status; `detail` is its own error text."""

    def __init__(self, endpoint: str, status: int, detail: str) -> None:
        self.endpoint = endpoint
        self.status = status
        self.detail = detail
        super().__init__(f"Teamleader {endpoint} failed with HTTP {status}: {detail}")


class RateLimited(RequestFailed):
    """429 from Teamleader; `retry_after` is how long the headers say to wait (seconds)."""

    def __init__(self, endpoint: str, status: int, detail: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(endpoint, status, f"{detail} (retry after {retry_after:.1f} s)")


class NotFound(RequestFailed):
    """404: the record does not exist or was deleted in Teamleader."""


class ValidationFailed(RequestFailed):
    """400: the request's data was refused, or it referenced a record that does not exist."""


class ServerError(RequestFailed):
    """5xx from Teamleader on an operation that is safe to repeat."""


class MalformedResponse(RequestFailed):
    """A success status whose body is not valid JSON, or lacks what the API documents."""


class AuthError(TeamleaderError):
    """A token or the token endpoint was refused, or the token endpoint gave no usable answer."""


class TokenRefused(AuthError):
    """The token endpoint refused a grant: a used, revoked or expired code or refresh token."""

    def __init__(self, grant: str, status: int, detail: str) -> None:
        self.grant = grant
        self.status = status
        self.detail = detail
        super().__init__(f"Teamleader refused the {grant} (HTTP {status}): {detail}")


class ReauthorizationRequired(AuthError):
    """The connection cannot be used until a person authorises it again."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"Teamleader access must be authorised again ({reason}): run `{LOGIN_COMMAND}`")


class OutcomeUnknown(TeamleaderError):
    """A non-idempotent write was sent but no reliable answer came back: it may have been applied."""

    def __init__(self, endpoint: str, cause: str) -> None:
        self.endpoint = endpoint
        self.cause = cause
        super().__init__(
            f"Teamleader {endpoint}: the outcome is unknown ({cause}); it may have been applied, "
            "so look it up before sending it again"
        )


class TransportFailed(TeamleaderError):
    """No answer from Teamleader for `endpoint`: network down, DNS, refused connection or timeout."""

    def __init__(self, endpoint: str, cause: str, *, sent: bool) -> None:
        self.endpoint = endpoint
        self.cause = cause
        self.sent = sent
        super().__init__(
            f"could not reach Teamleader for {endpoint} ({cause}); check the network and "
            "PREPAID_TEAMLEADER_API_URL / PREPAID_TEAMLEADER_AUTH_URL"
        )
