"""The webhook receiver: check the secret path, validate the envelope, store it, answer at once.

It never calls Teamleader in the request: the event goes into the inbox in one short
transaction and the worker is poked. A wrong secret answers 404 (no oracle), a malformed or
unknown event 400 with the reason, and nothing is stored for either.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from connector.clock import SYSTEM_CLOCK, Now
from connector.sync.inbox import InvalidEvent, record_event
from connector.web.access import public_machine

__all__ = ["MAX_BODY_BYTES", "webhook_router"]

MAX_BODY_BYTES = 64 * 1024


def webhook_router(
    engine: Engine,
    secret: str,
    *,
    account_id: Callable[[], str | None],
    poke: Callable[[], None] | None = None,
    clock: Now = SYSTEM_CLOCK.now,
) -> APIRouter:
    """The router with `POST /webhooks/teamleader/{token}`."""
    router = APIRouter()

    @router.post("/webhooks/teamleader/{token}", include_in_schema=False)
    @public_machine
    async def receive(token: str, request: Request) -> JSONResponse:
        if not hmac.compare_digest(token.encode(), secret.encode()):
            return JSONResponse({"detail": "not found"}, status_code=404)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"body larger than {MAX_BODY_BYTES} bytes"}, status_code=413)
        try:
            payload = json.loads(body, parse_float=Decimal)
        except ValueError:
            return JSONResponse({"detail": "the body is not JSON"}, status_code=400)
        try:
            stored = await run_in_threadpool(
                record_event, engine, payload, account_id=account_id(), now=clock()
            )
        except InvalidEvent as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)
        if poke is not None:
            poke()
        return JSONResponse({"accepted": True, "duplicate": not stored}, status_code=202)

    return router
