"""No token value reaches any log line, through a realistic flow logged at debug everywhere."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import httpx
import pytest
import structlog
from support.clock import PinnedClock

from connector.logging import configure_logging
from connector.settings import Settings
from connector.storage.token_store import TokenStore
from connector.teamleader import ReauthorizationRequired, TeamleaderClient, TeamleaderOAuth

from .conftest import FakeTeamleader

ME = {"data": {"id": "u-1", "account": {"type": "account", "id": "acc-1"}}}


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("json", "debug", stream=stream)
    for name in ("httpx", "httpcore", "authlib", "connector", "sqlalchemy.engine"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield stream
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for name in ("httpx", "httpcore", "authlib", "connector", "sqlalchemy.engine"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    structlog.reset_defaults()


def test_a_full_token_lifecycle_logs_no_token(
    log_stream: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    tl_settings: Settings,
    store: TokenStore,
    fake: FakeTeamleader,
    clock: PinnedClock,
    make_client: Callable[..., TeamleaderClient],
) -> None:
    caplog.set_level(logging.DEBUG)
    oauth = TeamleaderOAuth(tl_settings, transport=httpx.MockTransport(fake.router.handler), clock=clock)
    oauth.authorization_url("state-abcdefgh")
    store.save_authorized(oauth.exchange_code("good-code"), now=clock.at)
    oauth.close()
    fake.serve("users.me", lambda _: httpx.Response(200, json=ME))
    flaky = fake.api("users.list").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"data": []})]
    )
    client = make_client()
    client.me()
    clock.advance(seconds=3600)
    client.me()
    fake.valid_access.clear()
    client.me()
    list(client.users())
    fake.valid_refresh.clear()
    clock.advance(seconds=3600)
    with pytest.raises(ReauthorizationRequired):
        client.me()

    assert flaky.call_count == 2 and fake.token_route.call_count == 4
    output = log_stream.getvalue() + caplog.text
    assert "teamleader.token.refreshed" in output and "teamleader.retry" in output
    secrets = [*fake.issued, "good-code", "client-secret-1", "state-abcdefgh"]
    leaked = [secret for secret in secrets if secret in output]
    assert leaked == []
