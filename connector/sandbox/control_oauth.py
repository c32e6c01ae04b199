"""The control API's read-only view of the token endpoint: every refresh grant it answered.

`GET /_sandbox/oauth/refresh-grants` lists them in order (`at`, `rotated`, and `spent_pair_age`:
seconds between the issue of the pair whose refresh token was spent and its refresh), with the
current access-token lifetime, so a test can check one refresh per expiry: no grant refused, none
long before its pair neared expiry.
"""

from __future__ import annotations

from typing import Any

from connector.sandbox.core import Sandbox
from connector.sandbox.listing import Reply

__all__ = ["refresh_grants"]


def refresh_grants(sandbox: Sandbox, body: dict[str, Any], query: dict[str, str], args: list[str]) -> Reply:
    grants = list(sandbox.oauth.refresh_grants)
    return 200, {
        "access_token_lifetime": sandbox.settings.access_token_lifetime,
        "refresh_grants": grants,
        "rotated": sum(1 for grant in grants if grant["rotated"]),
        "refused": sum(1 for grant in grants if not grant["rotated"]),
    }
