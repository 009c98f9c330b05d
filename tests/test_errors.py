"""The same relay failure gives the same agentkit error whichever SDK (dialect) met it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import agentkit as ak
from agentkit.errors import error_from_status, from_sdk_error, redact
from tests.conftest import serve_asgi

KEY = "sk-errors-test-abcdefghijklmnop"
from tests._paths import REALTRAFFIC  # noqa: E402


class ErrorRelay:
    """Answers every request with `status` and the door's native error body."""

    def __init__(self) -> None:
        self.status = 500
        self.code: str | None = None
        self.message = "boom"
        self.headers: dict[str, str] = {}

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            path = request.url.path
            if path.startswith("/anthropic"):
                body: dict[str, Any] = {"type": "error", "error": {"type": self.code or "api_error",
                                                                    "message": self.message}}
            elif path.startswith("/v1beta"):
                status = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 402: "FAILED_PRECONDITION",
                          404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}.get(self.status, "INTERNAL")
                body = {"error": {"code": self.status, "message": self.message, "status": status}}
            else:
                body = {"error": {"message": self.message, "type": "error", "param": None, "code": self.code}}
            return JSONResponse(body, status_code=self.status, headers=self.headers)

        return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def error_relay() -> Iterator[tuple[ErrorRelay, ak.Relay]]:
    stub = ErrorRelay()
    with serve_asgi(stub.app()) as url:
        yield stub, ak.Relay(url, api_key=KEY, max_retries=0, timeout=5)


def _fail(relay: ak.Relay, dialect: str) -> BaseException:
    client = relay.client(dialect)  # type: ignore[arg-type]
    try:
        if dialect == "openai":
            client.chat.completions.create(model="m-1", messages=[{"role": "user", "content": "x"}])
        elif dialect == "responses":
            client.responses.create(model="m-1", input="x")
        elif dialect == "anthropic":
            client.messages.create(model="m-1", max_tokens=5, messages=[{"role": "user", "content": "x"}])
        else:
            client.models.generate_content(model="m-1", contents="x")
    except Exception as exc:
        return exc
    raise AssertionError("the request should have failed")


@pytest.mark.parametrize("dialect", ["openai", "responses", "anthropic", "gemini"])
@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, None, ak.BadRequestError),
        (401, "invalid_api_key", ak.AuthenticationError),
        (402, None, ak.InsufficientBalanceError),
        (404, "model_not_found", ak.ModelNotFoundError),
        (429, "rate_limit_exceeded", ak.RateLimitError),
        (500, None, ak.UpstreamError),
        (502, None, ak.UpstreamError),
        (503, None, ak.UpstreamError),
    ],
)
def test_same_failure_same_error_in_every_dialect(
    error_relay: tuple[ErrorRelay, ak.Relay], dialect: str, status: int, code: str | None, expected: type
) -> None:
    stub, relay = error_relay
    stub.status, stub.code, stub.message = status, code, f"relay says {status}"
    error = relay.map_error(_fail(relay, dialect), dialect=dialect, model="m-1")
    assert type(error) is expected
    assert isinstance(error, ak.RelayError)
    assert error.status == status
    assert error.message == f"relay says {status}"  # the relay's own words, verbatim
    assert error.dialect == dialect and error.model == "m-1"
    text = str(error)
    assert f"HTTP {status}" in text and "'m-1'" in text and error.advice in text


def test_402_is_insufficient_balance_on_the_openai_sdk_which_has_no_class_for_it(
    error_relay: tuple[ErrorRelay, ak.Relay],
) -> None:
    stub, relay = error_relay
    stub.status, stub.code, stub.message = 402, "insufficient_balance", "Insufficient balance"
    exc = _fail(relay, "openai")
    assert type(exc).__name__ == "APIStatusError"
    error = relay.map_error(exc, dialect="openai", model="m-1")
    assert isinstance(error, ak.InsufficientBalanceError)
    assert "top up" in str(error).lower() and not error.retryable


def test_429_insufficient_quota_is_not_a_rate_limit(error_relay: tuple[ErrorRelay, ak.Relay]) -> None:
    stub, relay = error_relay
    stub.status, stub.code, stub.message = 429, "insufficient_quota", "You exceeded your current quota"
    error = relay.map_error(_fail(relay, "openai"), dialect="openai")
    assert isinstance(error, ak.QuotaExceededError) and isinstance(error, ak.InsufficientBalanceError)
    assert not error.retryable


def test_retry_after_is_kept(error_relay: tuple[ErrorRelay, ak.Relay]) -> None:
    stub, relay = error_relay
    stub.status, stub.code, stub.headers = 429, "rate_limit_exceeded", {"retry-after": "3"}
    try:
        for dialect in ("openai", "anthropic", "gemini"):
            error = relay.map_error(_fail(relay, dialect), dialect=dialect)
            assert isinstance(error, ak.RateLimitError) and error.retryable
            assert error.retry_after == 3.0, dialect
    finally:
        stub.headers = {}


def test_an_echoed_key_is_redacted(error_relay: tuple[ErrorRelay, ak.Relay]) -> None:
    stub, relay = error_relay
    stub.status, stub.code, stub.message = 401, "invalid_api_key", f"Incorrect API key provided: {KEY}"
    for dialect in ("openai", "anthropic", "gemini"):
        error = relay.map_error(_fail(relay, dialect), dialect=dialect)
        assert KEY not in str(error) and KEY not in error.message and KEY not in repr(error)


def test_model_not_found_suggests_close_names() -> None:
    from tests.relay.layouts import Layout

    stub = Layout("models", openai="/v1")
    with serve_asgi(stub.app()) as url:
        relay = ak.Relay(url, api_key="sk-layout-test-0123456789abcdef")
        mapped = relay.map_error(_openai_404(), dialect="openai", model="gpt-4oo")
    assert isinstance(mapped, ak.ModelNotFoundError)
    assert "gpt-4o" in mapped.suggestions
    assert "Did you mean 'gpt-4o'" in str(mapped)


def _openai_404() -> BaseException:
    import httpx2
    import openai

    request = httpx2.Request("POST", "http://x/v1/chat/completions")
    response = httpx2.Response(404, request=request, json={"error": {"message": "The model `gpt-4oo` does not exist",
                                                                     "code": "model_not_found"}})
    return openai.NotFoundError("x", response=response, body={"message": "The model `gpt-4oo` does not exist",
                                                              "code": "model_not_found"})


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("openai/g_error_400_invalid_image_url__gpt4omini.json", ak.BadRequestError),
        ("openai/g_error_400_unsupported_value__o1mini.json", ak.BadRequestError),
        ("openai/g_error_404_model_not_found.json", ak.ModelNotFoundError),
        ("anthropic/g_error_400_invalid_request__opus46.json", ak.BadRequestError),
        ("anthropic/g_error_404_not_found_model.json", ak.ModelNotFoundError),
        ("gemini/g_error_400_api_key_invalid_on_sse.json", ak.AuthenticationError),
        ("gemini/g_error_404_model_not_found.json", ak.ModelNotFoundError),
        ("gemini/g_error_429_resource_exhausted.json", ak.RateLimitError),
    ],
)
def test_recorded_error_bodies(path: str, expected: type) -> None:
    recording = json.loads((REALTRAFFIC / path).read_text())
    body = recording["response_body"]
    error = error_from_status(recording["status"], body, dialect=recording["vendor"])
    assert type(error) is expected
    parsed = json.loads(body) if isinstance(body, str) else body
    assert error.message == parsed["error"]["message"]


def test_error_events_inside_a_200_stream_map_by_their_type() -> None:
    overloaded = error_from_status(200, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    assert isinstance(overloaded, ak.UpstreamError) and overloaded.message == "Overloaded"
    limited = error_from_status(200, {"error": {"message": "slow down", "type": "rate_limit_exceeded"}})
    assert isinstance(limited, ak.RateLimitError)
    # An error inside a 200 answer that names no type is the upstream failing, not a bad request.
    for body in ({"error": {"message": "upstream fell over"}}, "upstream fell over"):
        untyped = error_from_status(200, body)
        assert type(untyped) is ak.UpstreamError and untyped.retryable
        assert (untyped.status, untyped.message) == (200, "upstream fell over")


def test_a_stream_error_event_is_mapped_with_the_relays_secrets() -> None:
    from agentkit.errors import StreamErrorEvent

    data = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "key relay-secret-77 busy"}})
    error = from_sdk_error(StreamErrorEvent(data), dialect="anthropic", model="m", secrets=["relay-secret-77"])
    assert type(error) is ak.UpstreamError
    assert (error.status, error.code, error.message) == (200, "overloaded_error", "key [redacted] busy")
    assert (error.dialect, error.model) == ("anthropic", "m")


def test_connection_failures_map_to_connection_errors() -> None:
    import httpx2

    assert isinstance(from_sdk_error(httpx2.ConnectError("refused")), ak.RelayConnectionError)
    assert isinstance(from_sdk_error(httpx2.ReadTimeout("slow")), ak.RelayTimeoutError)
    assert from_sdk_error(ValueError("a bug")) is None  # programming errors stay themselves


def test_errors_pickle_and_keep_their_fields() -> None:
    import pickle

    error = ak.RateLimitError("slow down", status=429, dialect="openai", model="m", retry_after=2.0)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is ak.RateLimitError
    assert (again.status, again.message, again.retry_after, str(again)) == (429, "slow down", 2.0, str(error))


def test_redact_removes_keys_and_keylike_strings() -> None:
    assert "abcdefghij" not in redact("key sk-proj-abcdefghijklmnopqrst was wrong")
    assert redact("secret=hunter2-long", ["hunter2-long"]) == "secret=[redacted]"
    assert redact("AIzaSyA1234567890123456789012345") == "AIza...[redacted]"


_RACE = """
import importlib, sys, threading, time

import httpx2

first = sys.argv[1]
later = [name for name in ("openai", "anthropic") if name != first] + ["google.genai"]
sdk = importlib.import_module(first)
from agentkit.errors import RelayConnectionError, RelayTimeoutError, from_sdk_error

assert not any(name in sys.modules for name in later), "the SDKs must be imported here for the first time"
request = httpx2.Request("POST", "http://relay.invalid/v1/chat/completions")
samples = [(sdk.APIConnectionError(request=request), RelayConnectionError),
           (sdk.APITimeoutError(request=request), RelayTimeoutError),
           (httpx2.ConnectError("refused"), RelayConnectionError),
           (httpx2.ReadTimeout("slow"), RelayTimeoutError)]
problems, mapped = set(), [0]
mapping, imported = threading.Event(), threading.Event()

def map_errors():
    while not imported.is_set():
        for exc, expected in samples:
            try:
                error = from_sdk_error(exc, dialect="openai")
            except Exception as failure:
                problems.add(f"{type(failure).__name__}: {failure}")
            else:
                if type(error) is not expected:
                    problems.add(f"{type(exc).__name__} became {type(error).__name__}")
        mapped[0] += 1
        mapping.set()
        time.sleep(0.0002)  # let the import run, and map again many times while it does

def import_sdks():
    try:
        mapping.wait()
        for name in later:
            importlib.import_module(name)
    finally:
        imported.set()

threads = [threading.Thread(target=map_errors), threading.Thread(target=import_sdks)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(mapped[0], sorted(problems))
"""


@pytest.mark.parametrize("first", ["anthropic", "openai"])
def test_mapping_while_another_thread_first_imports_an_sdk(first: str) -> None:
    """A fresh interpreter maps SDK and httpx2 exceptions over and over while another thread imports
    the other vendor SDKs for the first time: every mapping succeeds (a half-imported module is
    never looked at) and gives the right error."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", _RACE, first], capture_output=True, text=True, env=env,
                         cwd=root, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    rounds, problems = out.stdout.split(" ", 1)
    assert problems.strip() == "[]", problems[:2000]
    assert int(rounds) > 20  # the mapping really ran while the SDKs were being imported


def test_a_key_echoed_in_any_field_of_an_error_is_redacted_everywhere() -> None:
    """Relays echo the rejected key in `code`, `type` or `param` as well as in the message: no field,
    no str(), repr() or pickle of the error may hold it, even a key not shaped like one."""
    import pickle

    key = "relaykey-7f3a9b2c"  # a relay's own key format, no `sk-` prefix
    ak.Relay("https://relay.example", api_key=key)  # a key agentkit was given
    body = json.dumps({"error": {"message": f"bad key {key}", "code": key, "type": key, "param": key}})
    error = error_from_status(401, body, dialect="openai")
    for text in (str(error), repr(error), repr(vars(error)), str(pickle.dumps(error)), str(pickle.loads(pickle.dumps(error)))):
        assert key not in text
