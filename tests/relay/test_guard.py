"""What every relay client sends through (agentkit._transport's guard): the key stays with its host,
answers are bounded in size and in time, and a plain-http relay elsewhere is warned about."""

from __future__ import annotations

import http.server
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import agentkit as ak

KEY = "sk-guard-test-0123456789abcdef"
CREDENTIALS = ("authorization", "x-api-key", "x-goog-api-key", "api-key")
MODELS = ["gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-flash"]


class _Server:
    """A loopback HTTP server whose every request is answered by `respond(handler)`; it records headers."""

    def __init__(self, respond: Callable[[http.server.BaseHTTPRequestHandler], None]) -> None:
        self.seen: list[dict[str, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                outer.seen.append({k.lower(): v for k, v in self.headers.items()})
                respond(self)

            do_GET = do_POST = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[list[_Server]]:
    made: list[_Server] = []
    yield made
    for server in made:
        server.close()


def _send(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("content-length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.mark.parametrize("model", MODELS)
def test_a_redirect_to_another_host_carries_no_credentials(servers: list[_Server], model: str) -> None:
    elsewhere = _Server(lambda h: _send(h, 401, b'{"error": {"message": "who are you"}}',
                                        {"content-type": "application/json"}))
    servers.append(elsewhere)
    relay_server = _Server(lambda h: _send(h, 307, b"", {"location": elsewhere.url + h.path}))
    servers.append(relay_server)
    relay = ak.Relay(relay_server.url, api_key=KEY, max_retries=0)
    with pytest.raises(ak.AgentkitError):
        ak.Agent(model, relay=relay, display=False)("hi")
    assert relay_server.seen, "the relay was asked first"
    assert any(KEY in " ".join(h.values()) for h in relay_server.seen)  # the relay itself got the key
    assert elsewhere.seen, "the redirect was followed"
    for headers in elsewhere.seen:
        assert not [name for name in CREDENTIALS if name in headers]
        assert KEY not in " ".join(headers.values())


def test_the_model_list_request_does_not_carry_the_key_elsewhere_either(servers: list[_Server]) -> None:
    elsewhere = _Server(lambda h: _send(h, 200, b'{"data": [{"id": "m"}]}', {"content-type": "application/json"}))
    servers.append(elsewhere)
    relay_server = _Server(lambda h: _send(h, 302, b"", {"location": elsewhere.url + h.path}))
    servers.append(relay_server)
    relay = ak.Relay(relay_server.url, api_key=KEY)
    assert relay.models() == ["m"]
    assert all(KEY not in " ".join(h.values()) for h in elsewhere.seen)


@pytest.mark.parametrize("model", MODELS)
def test_an_answer_larger_than_the_cap_is_a_typed_error_and_not_retried(servers: list[_Server], model: str) -> None:
    big = b'{"pad": "' + b"x" * 200_000 + b'"}'
    server = _Server(lambda h: _send(h, 200, big, {"content-type": "application/json"}))
    servers.append(server)
    relay = ak.Relay(server.url, api_key=KEY, max_answer_bytes=50_000, max_retries=2)
    with pytest.raises(ak.UpstreamError) as info:
        ak.Agent(model, relay=relay, display=False)("hi")
    assert info.value.code == "answer_too_large"
    assert "max_answer_bytes" in str(info.value)
    assert len(server.seen) == 1  # the same answer would come again: not retried


def _endless_pings(handler: http.server.BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("content-type", "text/event-stream")
    handler.end_headers()
    try:
        for _ in range(200):  # a keep-alive comment every 50 ms, never an event
            handler.wfile.write(b": ping\n\n")
            handler.wfile.flush()
            time.sleep(0.05)
    except OSError:
        pass


@pytest.mark.parametrize("model", ["gpt-4o", "claude-sonnet-4-5"])
def test_timeout_bounds_a_whole_stream_even_with_keep_alive_pings(servers: list[_Server], model: str) -> None:
    server = _Server(_endless_pings)
    servers.append(server)
    relay = ak.Relay(server.url, api_key=KEY, timeout=0.6, max_retries=0)
    started = time.monotonic()
    with pytest.raises(ak.RelayTimeoutError):
        list(ak.Agent(model, relay=relay, display=False).stream("hi"))
    assert time.monotonic() - started < 5.0  # not the 10 s the pings go on for (an SDK import included)


def test_a_plain_http_relay_on_another_machine_is_warned_about() -> None:
    with pytest.warns(UserWarning, match="unencrypted"):
        ak.Relay("http://relay.example.com/v1", api_key=KEY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ak.Relay("http://127.0.0.1:9/v1", api_key=KEY)
        ak.Relay("http://localhost:9/v1", api_key=KEY)
        ak.Relay("https://relay.example.com/v1", api_key=KEY)


@pytest.mark.parametrize("body", [b"<html><body>502 Bad Gateway</body></html>", b""], ids=["html", "empty"])
@pytest.mark.parametrize("model", MODELS)
def test_a_200_that_is_not_an_answer_is_an_upstream_error(servers: list[_Server], model: str, body: bytes) -> None:
    server = _Server(lambda h: _send(h, 200, body, {"content-type": "text/html" if body else "application/json"}))
    servers.append(server)
    relay = ak.Relay(server.url, api_key=KEY, max_retries=0)
    with pytest.raises(ak.UpstreamError):
        ak.Agent(model, relay=relay, display=False)("hi")


@pytest.mark.parametrize("status", [302, 200])
def test_the_model_list_ends_in_typed_errors_only(servers: list[_Server], status: int) -> None:
    """A redirect loop, a body that cannot be decoded: agentkit errors, not httpx2's."""
    if status == 302:
        server = _Server(lambda h: _send(h, 302, b"", {"location": h.path}))
    else:
        server = _Server(lambda h: _send(h, 200, b"\x1f\x8b not gzip", {"content-encoding": "gzip",
                                                                         "content-type": "application/json"}))
    servers.append(server)
    with pytest.raises(ak.AgentkitError) as info:
        ak.Relay(server.url, api_key=KEY).models()
    assert KEY not in str(info.value)


def test_no_frame_of_a_failed_model_list_holds_the_key(servers: list[_Server]) -> None:
    """Tracebacks shown with their locals (pytest --showlocals, IPython's verbose mode, error
    trackers) must not reveal the key."""
    server = _Server(lambda h: _send(h, 500, b'{"error": {"message": "down"}}', {"content-type": "application/json"}))
    servers.append(server)
    relay = ak.Relay(server.url, api_key=KEY, max_retries=0)
    with pytest.raises(ak.AgentkitError) as info:
        relay.models()
    tb = info.value.__traceback__
    assert tb is not None
    while tb is not None:
        frame = tb.tb_frame
        if "agentkit" in frame.f_code.co_filename:
            for name, value in frame.f_locals.items():
                assert KEY not in repr(value), f"{frame.f_code.co_name}: local {name!r} holds the key"
        tb = tb.tb_next
