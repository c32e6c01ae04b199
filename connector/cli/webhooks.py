"""`prepaid webhooks`: register, list and unregister our webhook at Teamleader."""

from __future__ import annotations

import typer

from connector.cli.context import get_container
from connector.cli.output import console, print_json, print_table
from connector.sync.subscription import WEBHOOK_PATH, event_types, webhook_url

app = typer.Typer(
    help="Teamleader webhooks that keep the local copy fresh within seconds.", no_args_is_help=True
)

_MASK = "<secret>"


def _shown(url: str) -> str:
    """The URL with its secret path segment masked (the secret never reaches a terminal or log)."""
    head, sep, _ = url.partition(WEBHOOK_PATH)
    return f"{head}{sep}{_MASK}" if sep else url


@app.command("register")
def register_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Register our endpoint (PREPAID_PUBLIC_URL + a secret path) for every event type we need."""
    container = get_container()
    url, types = webhook_url(container.settings), event_types()
    container.teamleader().register_webhook(url, types)
    if as_json:
        print_json({"url": _shown(url), "types": types})
    else:
        console.print(f"registered {_shown(url)} for {len(types)} event types")


@app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the webhooks registered at Teamleader (ours shown as `ours`)."""
    container = get_container()
    ours = webhook_url(container.settings)
    hooks = container.teamleader().webhooks()
    if as_json:
        print_json([{"url": _shown(h.url), "ours": h.url == ours, "types": h.types} for h in hooks])
    else:
        rows = [(_shown(h.url), "yes" if h.url == ours else "", ", ".join(h.types)) for h in hooks]
        print_table("Webhooks", ["url", "ours", "types"], rows, ids=["url"])


@app.command("unregister")
def unregister_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Remove our webhook (every event type) from Teamleader."""
    container = get_container()
    url = webhook_url(container.settings)
    client = container.teamleader()
    registered = [h for h in client.webhooks() if h.url == url]
    for hook in registered:
        client.unregister_webhook(url, list(hook.types))
    if as_json:
        print_json({"url": _shown(url), "unregistered": bool(registered)})
    else:
        console.print(f"unregistered {_shown(url)}" if registered else "no webhook of ours was registered")
