"""One running sandbox: the account data plus OAuth, rate limit, faults, webhooks and counters.

The ASGI app and the control API both work on a `Sandbox`; tests that run the app in-process
reach the same object to inspect or steer it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields, replace
from datetime import datetime

import httpx

from connector.sandbox.clock import Clock, SystemClock
from connector.sandbox.config import SandboxConfig, SeedParams
from connector.sandbox.faults import FaultPlan
from connector.sandbox.model import Ref
from connector.sandbox.oauth import OAuthServer
from connector.sandbox.ratelimit import RateLimiter
from connector.sandbox.seed import build_state
from connector.sandbox.state import SandboxState
from connector.sandbox.webhooks import WebhookHub

__all__ = ["Sandbox"]


class Sandbox:
    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        clock: Clock | None = None,
        webhook_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock or SystemClock()
        self.settings = self.config.settings
        self._initial_settings = replace(self.settings)
        self.oauth = OAuthServer(self.config.client_id, self.config.client_secret, self.settings, self.clock)
        self.limiter = RateLimiter(self.settings, self.clock)
        self.faults = FaultPlan([replace(rule) for rule in self.config.faults], seed=self.config.fault_seed)
        self.webhooks = WebhookHub(
            self.settings, self.clock, seed=self.config.fault_seed, transport=webhook_transport
        )
        self.request_counts: Counter[str] = Counter()
        self.seed_params = self.config.seed
        self.state = self._build(self.seed_params)

    def now(self) -> datetime:
        return self.clock.now().replace(microsecond=0)

    def _build(self, params: SeedParams) -> SandboxState:
        state = build_state(params, self.clock.now().date())
        state.on_event = self._publish
        self.webhooks.account_id = state.account_id
        return state

    def _publish(self, event_type: str, subject: Ref) -> None:
        self.webhooks.publish(event_type, subject)

    def reseed(self, params: SeedParams) -> None:
        """Replaces the account's data; tokens, webhooks, faults and counters stay."""
        new_state = self._build(params)
        with self.state.lock:
            self.seed_params = params
            self.state = new_state

    def reset(self) -> None:
        """Back to the start-up configuration: data, tokens, webhooks, faults and counters."""
        self.reseed(self.config.seed)
        self.oauth.revoke_all()
        self.limiter.reset()
        for setting in fields(self.settings):
            setattr(self.settings, setting.name, getattr(self._initial_settings, setting.name))
        self.faults.rules[:] = [replace(rule, fired=0) for rule in self.config.faults]
        self.faults.reseed(self.config.fault_seed)
        self.webhooks.registrations.clear()
        self.webhooks.clear_log()
        self.request_counts.clear()

    def close(self) -> None:
        self.webhooks.close()
