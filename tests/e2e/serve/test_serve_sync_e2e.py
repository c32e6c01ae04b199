"""Webhooks through `prepaid serve`'s receiver keep the local copy equal to Teamleader within seconds."""

from __future__ import annotations

import random
import time
from typing import Any

from sqlalchemy import Engine
from support.sandbox_copy import assert_copy_equals_sandbox, control, random_changes

from connector.sync.subscription import event_types, webhook_url


def _equal(engine: Engine, sandbox: Any) -> bool:
    try:
        assert_copy_equals_sandbox(engine, sandbox)
    except AssertionError:
        return False
    return True


def test_50_edits_additions_and_deletions_reach_the_copy_within_5_seconds(
    start_sandbox: Any, connect_stack: Any, start_serve: Any
) -> None:
    sandbox = start_sandbox(entries=600)
    stack = connect_stack(sandbox)
    stack.sync_engine().full()
    served = start_serve(stack)
    stack.teamleader().register_webhook(
        webhook_url(stack.settings.model_copy(update={"public_url": served.url})), event_types()
    )
    random_changes(sandbox, random.Random(11), 50)
    control(sandbox, "POST", "webhooks/wait", {"timeout": 10})
    deadline = time.monotonic() + 5
    while not _equal(stack.engine, sandbox):
        assert time.monotonic() < deadline, served.log.read_text()[-3000:]
        time.sleep(0.1)
    assert_copy_equals_sandbox(stack.engine, sandbox)
