"""Our webhook subscription: the secret URL Teamleader posts to, and the event types we need.

The API does not sign deliveries, so the URL carries a secret path segment derived from the
secret key; only someone who knows it can put events in our inbox (and even then an event is a
hint: data always comes from the API).
"""

from __future__ import annotations

import hashlib

from connector.logging import register_secret
from connector.settings import Settings
from connector.sync.inbox import EVENT_TYPES

__all__ = ["WEBHOOK_PATH", "event_types", "webhook_secret", "webhook_url"]

WEBHOOK_PATH = "/webhooks/teamleader/"


def webhook_secret(settings: Settings) -> str:
    """The secret path segment (stable for a given secret key); registered as a log secret."""
    secret = hashlib.sha256(settings.derived_key("webhook")).hexdigest()[:40]
    register_secret(secret)
    return secret


def webhook_url(settings: Settings) -> str:
    """The URL to register at Teamleader."""
    return f"{settings.public_url}{WEBHOOK_PATH}{webhook_secret(settings)}"


def event_types() -> list[str]:
    """Every event type we subscribe to."""
    return list(EVENT_TYPES)
