"""The login's redirect handling: state check, refusals, and the one-shot local listener."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from connector.teamleader.login import LoginFailed, RedirectListener, code_from_redirect, is_local_redirect


def test_code_is_taken_only_with_the_matching_state() -> None:
    assert code_from_redirect(" http://127.0.0.1:8765/callback?code=abc123&state=s-1\n", "s-1") == "abc123"
    with pytest.raises(LoginFailed, match="state"):
        code_from_redirect("http://127.0.0.1:8765/callback?code=abc123&state=other", "s-1")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8765/callback?error=access_denied&state=s-1", "did not grant access"),
        ("http://127.0.0.1:8765/callback?state=s-1", "no `code`"),
        ("not a url", "no `code`"),
    ],
)
def test_refusals_and_bad_pastes_are_one_clear_error(url: str, message: str) -> None:
    with pytest.raises(LoginFailed, match=message) as caught:
        code_from_redirect(url, "s-1")
    assert caught.value.exit_code == 2


def test_only_plain_http_on_this_machine_with_a_port_is_listened_on() -> None:
    assert is_local_redirect("http://127.0.0.1:8765/callback")
    assert is_local_redirect("http://localhost:9000/cb")
    assert not is_local_redirect("https://prepaid.example.be/callback")
    assert not is_local_redirect("http://127.0.0.1/callback")


def test_listener_receives_the_browser_redirect() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    listener = RedirectListener(f"http://127.0.0.1:{port}/callback")
    answers: list[int] = []

    def browser() -> None:
        answers.append(httpx.get(f"http://127.0.0.1:{port}/elsewhere").status_code)
        answers.append(httpx.get(f"http://127.0.0.1:{port}/callback?code=c-1&state=s-1").status_code)

    thread = threading.Thread(target=browser)
    thread.start()
    received = listener.wait(timeout=10)
    thread.join()
    assert received == f"http://127.0.0.1:{port}/callback?code=c-1&state=s-1"
    assert answers == [404, 200]
