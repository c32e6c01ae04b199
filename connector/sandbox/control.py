"""The control API under `/_sandbox/`: how tests and the demo steer a running sandbox.

Loopback only and without auth. It seeds and resets the account, reads the full state, counts
requests per endpoint, sets faults and limits, revokes tokens, and makes changes "in Teamleader"
(time entries, companies, contacts, tasks, invoice bookings, payments and credits) that fire webhooks
exactly as a user's change in Teamleader would. Routes are listed in `ROUTES` below.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, fields
from datetime import date
from decimal import Decimal
from typing import Any

from connector.sandbox import invoicing
from connector.sandbox.config import SeedParams
from connector.sandbox.control_oauth import refresh_grants
from connector.sandbox.control_records import (
    add_company,
    add_contact,
    add_entry,
    add_task,
    company_changes,
    contact_changes,
    entry_changes,
    task_changes,
)
from connector.sandbox.control_state import full_state
from connector.sandbox.core import Sandbox
from connector.sandbox.errors import ApiError, error_body
from connector.sandbox.faults import FaultRule, InvalidFault
from connector.sandbox.jsonio import decode
from connector.sandbox.listing import Reply, parse_datetime

__all__ = ["handle"]

Body = dict[str, Any]
Route = Callable[[Sandbox, Body, dict[str, str], list[str]], Awaitable[Reply] | Reply]


async def handle(sandbox: Sandbox, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
    try:
        body = decode(raw) if raw.strip() else {}
    except ValueError:
        return 400, error_body(400, "The control request body is not valid JSON")
    if not isinstance(body, dict):
        return 400, error_body(400, "The control request body must be a JSON object")
    for (route_method, pattern), route in ROUTES.items():
        match = re.fullmatch(pattern, path)
        if match and route_method == method:
            try:
                with sandbox.state.lock:
                    result = route(sandbox, body, query, list(match.groups()))
                reply: Reply = await result if inspect.isawaitable(result) else result
                return reply
            except ApiError as error:
                return error.status, error.body()
            except (InvalidFault, KeyError, TypeError, ValueError) as exc:
                return 400, error_body(400, f"invalid control request: {exc}")
    return 404, error_body(404, f"no control route {method} {path}")


def _health(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    return 200, {"status": "ok", "client_id": sandbox.oauth.client_id}


def _seed(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    current = asdict(sandbox.seed_params)
    known = {item.name for item in fields(SeedParams)}
    merged = {**current, **{key: value for key, value in body.items() if key in known}}
    anchor = merged.pop("anchor")
    task_share = float(merged.pop("task_share"))
    params = SeedParams(
        **{key: int(value) for key, value in merged.items()},
        anchor=date.fromisoformat(anchor) if isinstance(anchor, str) else anchor,
        task_share=task_share,
    )
    sandbox.reseed(params)
    return 200, {"seed": _seed_dict(params), "entries": len(sandbox.state.entries)}


def _seed_dict(params: SeedParams) -> dict[str, Any]:
    data = asdict(params)
    data["anchor"] = params.anchor.isoformat() if params.anchor else None
    return data


def _reset(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    sandbox.reset()
    return 200, {"seed": _seed_dict(sandbox.seed_params)}


def _state(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    with_entries = query.get("entries", "1") not in ("0", "false", "no")
    return 200, full_state(sandbox, with_entries=with_entries)


def _requests(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    return 200, {"counts": dict(sorted(sandbox.request_counts.items()))}


def _clear_requests(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    sandbox.request_counts.clear()
    return 204, None


def _faults(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    return 200, {"seed": sandbox.faults.seed, "rules": [rule.as_dict() for rule in sandbox.faults.rules]}


def _set_faults(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    """Adds rules (`{"rules": [...]}` or one rule); `replace: true` drops the old ones first."""
    raw_rules = body.get("rules", [body])
    rules = [FaultRule.from_dict(raw) for raw in raw_rules]
    if body.get("replace"):
        sandbox.faults.rules.clear()
    if "seed" in body:
        sandbox.faults.reseed(int(body["seed"]))
    sandbox.faults.rules.extend(rules)
    return _faults(sandbox, body, query, args)


def _clear_faults(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    sandbox.faults.rules.clear()
    return 204, None


def _settings(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    return 200, asdict(sandbox.settings)


def _set_settings(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    settings = sandbox.settings
    for item in fields(settings):
        if item.name in body:
            current = getattr(settings, item.name)
            setattr(settings, item.name, type(current)(body[item.name]))
    return 200, asdict(settings)


def _issue_tokens(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    return 200, sandbox.oauth.issue_for_tests()


def _revoke(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    return 200, {"revoked": sandbox.oauth.revoke_all()}


def _add_entry(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    entry = add_entry(sandbox, body)
    return 201, {"data": {"type": "timeTracking", "id": entry.id}}


def _update_entry(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    sandbox.state.update_entry(args[0], entry_changes(sandbox, body))
    return 204, None


def _delete_entry(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    sandbox.state.delete_entry(args[0])
    return 204, None


def _add_company(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    return 201, {"data": {"type": "company", "id": add_company(sandbox, body).id}}


def _update_company(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    sandbox.state.update_company(args[0], company_changes(body), sandbox.now())
    return 204, None


def _delete_company(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    sandbox.state.delete_company(args[0])
    return 204, None


def _add_contact(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    return 201, {"data": {"type": "contact", "id": add_contact(sandbox, body).id}}


def _update_contact(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    sandbox.state.update_contact(args[0], contact_changes(body), sandbox.now())
    return 204, None


def _delete_contact(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    sandbox.state.delete_contact(args[0])
    return 204, None


def _add_task(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    return 201, {"data": {"type": "task", "id": add_task(sandbox, body).id}}


def _update_task(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    """Moves a task to another milestone, changes or clears its customer; fires `task.updated`."""
    sandbox.state.update_task(args[0], task_changes(body))
    return 204, None


def _delete_task(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    sandbox.state.delete_task(args[0])
    return 204, None


def _on(sandbox: Sandbox, body: Body) -> date:
    return invoicing.parse_date(body["on"], "on") if "on" in body else sandbox.now().date()


def _book(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    invoicing.book(sandbox.state, args[0], _on(sandbox, body), sandbox.now())
    return 204, None


def _pay(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    """Registers a payment; without `amount`, whatever is still due (a full payment)."""
    state = sandbox.state
    invoice = invoicing.get_invoice(state, args[0])
    due = invoicing.invoice_totals(state, invoice)["due"]
    amount = Decimal(body["amount"]) if "amount" in body else due
    paid_at = parse_datetime(body["paid_at"], "paid_at") if "paid_at" in body else sandbox.now()
    invoicing.register_payment(state, invoice.id, amount, paid_at, sandbox.now())
    return 204, None


def _remove_payments(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    invoicing.remove_payments(sandbox.state, args[0], sandbox.now())
    return 204, None


def _credit(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    note = invoicing.credit(sandbox.state, args[0], _on(sandbox, body), sandbox.now())
    return 201, {"data": {"type": "creditNote", "id": note.id}}


def _deliveries(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    return 200, {"deliveries": sandbox.webhooks.deliveries()}


def _clear_deliveries(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    sandbox.webhooks.clear_log()
    return 204, None


async def _wait_webhooks(sandbox: Sandbox, body: Body, query: dict[str, str], args: list[str]) -> Reply:
    """Waits (off the event loop) until every queued delivery was attempted."""
    timeout = float(body.get("timeout", 10.0))
    idle = await asyncio.to_thread(sandbox.webhooks.wait_idle, timeout)
    return (200 if idle else 504), {"idle": idle, "deliveries": sandbox.webhooks.deliveries()}


_ID = r"([^/]+)"
ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/_sandbox/health"): _health,
    ("POST", "/_sandbox/seed"): _seed,
    ("POST", "/_sandbox/reset"): _reset,
    ("GET", "/_sandbox/state"): _state,
    ("GET", "/_sandbox/requests"): _requests,
    ("DELETE", "/_sandbox/requests"): _clear_requests,
    ("GET", "/_sandbox/faults"): _faults,
    ("POST", "/_sandbox/faults"): _set_faults,
    ("DELETE", "/_sandbox/faults"): _clear_faults,
    ("GET", "/_sandbox/settings"): _settings,
    ("POST", "/_sandbox/settings"): _set_settings,
    ("POST", "/_sandbox/tokens"): _issue_tokens,
    ("POST", "/_sandbox/tokens/revoke"): _revoke,
    ("GET", "/_sandbox/oauth/refresh-grants"): refresh_grants,
    ("POST", "/_sandbox/time-entries"): _add_entry,
    ("POST", f"/_sandbox/time-entries/{_ID}"): _update_entry,
    ("DELETE", f"/_sandbox/time-entries/{_ID}"): _delete_entry,
    ("POST", "/_sandbox/companies"): _add_company,
    ("POST", f"/_sandbox/companies/{_ID}"): _update_company,
    ("DELETE", f"/_sandbox/companies/{_ID}"): _delete_company,
    ("POST", "/_sandbox/contacts"): _add_contact,
    ("POST", f"/_sandbox/contacts/{_ID}"): _update_contact,
    ("DELETE", f"/_sandbox/contacts/{_ID}"): _delete_contact,
    ("POST", "/_sandbox/tasks"): _add_task,
    ("POST", f"/_sandbox/tasks/{_ID}"): _update_task,
    ("DELETE", f"/_sandbox/tasks/{_ID}"): _delete_task,
    ("POST", f"/_sandbox/invoices/{_ID}/book"): _book,
    ("POST", f"/_sandbox/invoices/{_ID}/pay"): _pay,
    ("POST", f"/_sandbox/invoices/{_ID}/remove-payments"): _remove_payments,
    ("POST", f"/_sandbox/invoices/{_ID}/credit"): _credit,
    ("GET", "/_sandbox/webhooks/deliveries"): _deliveries,
    ("DELETE", "/_sandbox/webhooks/deliveries"): _clear_deliveries,
    ("POST", "/_sandbox/webhooks/wait"): _wait_webhooks,
}
