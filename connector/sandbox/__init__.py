"""A faithful local simulator of the Teamleader Focus API parts the product uses.

One ASGI app on one port serves OAuth (`/oauth2/authorize`, `/oauth2/access_token`), the API
(`POST /<resource>.<action>`) and a control API for tests (`/_sandbox/...`). It keeps the real
traps of teamleader-api.md (silently ignored filters, unpaginated departments, rotating refresh
tokens, rate limit headers, untitled sections, department-bound tax rates), fires webhooks, and
injects faults. It never imports the product's API client, and the client never imports it:
each is the other's independent check.
"""

from __future__ import annotations

from connector.sandbox.app import SandboxApp, create_app
from connector.sandbox.clock import ManualClock, SystemClock
from connector.sandbox.config import RuntimeSettings, SandboxConfig, SeedParams
from connector.sandbox.core import Sandbox
from connector.sandbox.faults import FaultRule, InvalidFault, parse_fault_spec
from connector.sandbox.server import SandboxServer, SandboxStartError
from connector.sandbox.state import SandboxState

__all__ = [
    "FaultRule",
    "InvalidFault",
    "ManualClock",
    "RuntimeSettings",
    "Sandbox",
    "SandboxApp",
    "SandboxConfig",
    "SandboxServer",
    "SandboxStartError",
    "SandboxState",
    "SeedParams",
    "SystemClock",
    "create_app",
    "parse_fault_spec",
]
