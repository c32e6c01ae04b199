"""Logging: JSON lines or console, and secrets never reach the output."""

from __future__ import annotations

import io
import json
import logging

from connector.logging import configure_logging, get_logger, register_secret


def test_json_lines_with_secrets_removed() -> None:
    stream = io.StringIO()
    configure_logging("json", "info", stream=stream)
    register_secret("s3cr3t-webhook-path-value")
    log = get_logger("test")
    log.info("token.saved", access_token="abc.def.ghi", detail="Authorization: Bearer xyz123456789")
    log.info(
        "callback",
        url="http://127.0.0.1/cb?code=the-code-123&state=s1",
        path="/webhooks/s3cr3t-webhook-path-value",
    )
    logging.getLogger("stdlib").warning("refresh_token=%s", "rt-987654321")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    text = stream.getvalue()
    for secret in (
        "abc.def.ghi",
        "xyz123456789",
        "the-code-123",
        "s3cr3t-webhook-path-value",
        "rt-987654321",
    ):
        assert secret not in text
    assert lines[0]["event"] == "token.saved"
    assert lines[0]["access_token"] == "[redacted]"
    assert lines[0]["level"] == "info"
