"""`prepaid serve` and `prepaid reconcile`: run everything in one process, or one cycle now."""

from __future__ import annotations

import typer
import uvicorn

from connector.bootstrap import Container
from connector.cli.context import get_container
from connector.cli.output import console, print_json
from connector.runtime import Runtime

__all__ = ["reconcile", "run_server", "serve"]


def run_server(container: Container, *, banner: str | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C; the app's lifespan starts and stops the workers and scheduler."""
    runtime = Runtime(container)
    settings = container.settings
    server = uvicorn.Server(
        uvicorn.Config(
            runtime.app,
            host=settings.host,
            port=settings.port,
            access_log=False,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=20,
        )
    )
    if banner:
        console.print(banner)
    server.run()


def serve() -> None:
    """Web app, webhook receiver, workers and scheduler in one process (one per instance)."""
    container = get_container()
    run_server(container, banner=f"dashboard at {container.settings.public_url}/ (Ctrl-C stops)")


def reconcile(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """One full cycle now: windowed sync, rules, thresholds, invoice states and top-ups."""
    result = get_container().reconcile()
    if as_json:
        print_json(result)
    else:
        console.print(result)
