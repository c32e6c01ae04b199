"""`prepaid sandbox`: serve the local Teamleader simulator on loopback until Ctrl-C.

Prints the URLs and client credentials to configure the product with; the options mirror
`python -m connector.sandbox` (both build their configuration in `connector.sandbox.startup`).
"""

from __future__ import annotations

import typer

from connector.errors import UserInputError
from connector.sandbox.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from connector.sandbox.core import Sandbox
from connector.sandbox.server import SandboxStartError, bind, serve
from connector.sandbox.startup import banner, build_config

__all__ = ["sandbox"]


def sandbox(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (keep it loopback)."),
    port: int = typer.Option(8123, "--port", help="Port to listen on; 0 picks a free one."),
    seed: int = typer.Option(1, "--seed", help="Seed of the generated agency data."),
    companies: int = typer.Option(40, "--companies", help="Companies to generate."),
    contacts: int = typer.Option(60, "--contacts", help="Contacts to generate."),
    entries: int = typer.Option(2000, "--entries", help="Time entries to generate."),
    months: int = typer.Option(6, "--months", help="Months of tracked time, ending on --anchor."),
    anchor: str | None = typer.Option(
        None, "--anchor", help="Last day of tracked time, YYYY-MM-DD (default today)."
    ),
    task_share: float = typer.Option(
        0.0, "--task-share", help="Share of the entries tracked on tasks, 0..1 (e.g. 0.02)."
    ),
    client_id: str = typer.Option(DEFAULT_CLIENT_ID, "--client-id", help="OAuth client id to accept."),
    client_secret: str = typer.Option(DEFAULT_CLIENT_SECRET, "--client-secret", help="OAuth client secret."),
    token_lifetime: int = typer.Option(3600, "--token-lifetime", help="Access-token lifetime in seconds."),
    rate_limit: int = typer.Option(
        200, "--rate-limit", help="Requests per sliding 60 s; 0 disables the limit."
    ),
    fault: list[str] = typer.Option(  # noqa: B008  (Typer declares options this way)
        [], "--fault", help="Inject a fault: ENDPOINT:KIND[:VALUE][,probability=P][,count=N]; repeatable."
    ),
    fault_seed: int = typer.Option(0, "--fault-seed", help="Seed of the fault dice, for reproducible runs."),
) -> None:
    """Serve a local Teamleader Focus sandbox (OAuth + API + control API) until Ctrl-C."""
    try:
        config = build_config(
            seed=seed,
            companies=companies,
            contacts=contacts,
            entries=entries,
            months=months,
            anchor=anchor,
            task_share=task_share,
            client_id=client_id,
            client_secret=client_secret,
            token_lifetime=token_lifetime,
            rate_limit=rate_limit,
            faults=fault,
            fault_seed=fault_seed,
        )
        sock = bind(host, port)
    except (ValueError, SandboxStartError) as exc:
        raise UserInputError(str(exc)) from exc
    bound_host, bound_port = sock.getsockname()[:2]
    typer.echo(banner(f"http://{bound_host}:{bound_port}", config))
    try:
        serve(Sandbox(config), sock)
    except KeyboardInterrupt:
        typer.echo("sandbox stopped")
