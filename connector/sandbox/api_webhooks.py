"""`webhooks.register`, `webhooks.list` and `webhooks.unregister` (teamleader-api.md §4.1).

Registering answers 204 without an id; unregistering needs the url and the types to remove; the
list is `{url, types}` ordered by url. Event types are checked against the spec's enum by request
validation, so `invoice.created` (which does not exist) is a 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connector.sandbox.listing import Reply

if TYPE_CHECKING:
    from connector.sandbox.core import Sandbox

__all__ = ["HANDLERS"]

Handler = Callable[["Sandbox", dict[str, Any]], Reply]


def webhooks_register(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    sandbox.webhooks.register(body["url"], list(body["types"]))
    return 204, None


def webhooks_unregister(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    sandbox.webhooks.unregister(body["url"], list(body["types"]))
    return 204, None


def webhooks_list(sandbox: Sandbox, body: dict[str, Any]) -> Reply:
    return 200, {"data": sandbox.webhooks.listing()}


HANDLERS: dict[str, Handler] = {
    "webhooks.register": webhooks_register,
    "webhooks.unregister": webhooks_unregister,
    "webhooks.list": webhooks_list,
}
