"""`prepaid webhooks register|list|unregister` against the sandbox, and the token keep-alive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.sandbox_copy import control

from connector.storage.token_store import TokenStore
from connector.sync.subscription import event_types, webhook_secret


def _cli(stack: Any, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    settings = stack.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    env.update(
        {
            "PREPAID_DATABASE_URL": settings.resolved_database_url,
            "PREPAID_DATA_DIR": str(settings.data_dir),
            "PREPAID_SECRET_KEY": settings.secret_key.get_secret_value(),
            "PREPAID_TEAMLEADER_API_URL": settings.teamleader_api_url,
            "PREPAID_TEAMLEADER_AUTH_URL": settings.teamleader_auth_url,
            "PREPAID_TEAMLEADER_CLIENT_ID": settings.teamleader_client_id or "",
            "PREPAID_TEAMLEADER_CLIENT_SECRET": settings.teamleader_client_secret.get_secret_value(),
            "PREPAID_PUBLIC_URL": "https://prepaid.example-agency.be",
            "PREPAID_LOG_FORMAT": "json",
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_register_list_and_unregister_without_showing_the_secret(
    start_sandbox: Any, connect_stack: Any, tmp_path: Path
) -> None:
    sandbox = start_sandbox(entries=10)
    stack = connect_stack(sandbox)
    secret = webhook_secret(stack.settings)
    registered = _cli(stack, "webhooks", "register", "--json", cwd=tmp_path)
    assert registered.returncode == 0, registered.stderr
    hooks = control(sandbox, "GET", "state?entries=0")["webhooks"]
    assert [h["url"] for h in hooks] == [f"https://prepaid.example-agency.be/webhooks/teamleader/{secret}"]
    assert sorted(hooks[0]["types"]) == sorted(event_types())
    listed = _cli(stack, "webhooks", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {
            "url": "https://prepaid.example-agency.be/webhooks/teamleader/<secret>",
            "ours": True,
            "types": hooks[0]["types"],
        }
    ]
    for output in (registered, listed):
        assert secret not in output.stdout + output.stderr
    assert _cli(stack, "webhooks", "unregister", cwd=tmp_path).returncode == 0
    assert control(sandbox, "GET", "state?entries=0")["webhooks"] == []


def test_the_keep_alive_refreshes_only_a_token_that_expires_soon(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox(entries=10, access_token_lifetime=600)
    stack = connect_stack(sandbox)
    store = TokenStore.from_settings(stack.settings, stack.engine)
    before = store.load()
    control(sandbox, "POST", "settings", {"access_token_lifetime": 3600})
    assert stack.refresh_token_ahead() is True
    after = store.load()
    assert before is not None and after is not None
    assert after.version == before.version + 1 and after.access_token != before.access_token
    assert stack.refresh_token_ahead() is False
    assert store.load() == after
