"""Fault injection, asserted by what each official SDK raises or sees."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from google.genai import errors as genai_errors
from google.genai import types

from agentkit.emulator import Emulator, Fault, Turn

DOORS = ("openai", "responses", "anthropic", "gemini")
WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}


def call(
    door: str, oai: Any, claude: Any, gem: Any, *, stream: bool = False, tools: bool = False
) -> list[Any]:
    """Make one request through a door; for streams, consume every event and return them."""
    prompt = "What is the weather in Paris?" if tools else "hello there"
    if door == "openai":
        kwargs: dict[str, Any] = {"model": "gpt-4o", "messages": [{"role": "user", "content": prompt}]}
        if tools:
            kwargs["tools"] = [
                {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}
            ]
        if stream:
            return list(oai.chat.completions.create(stream=True, **kwargs))
        return [oai.chat.completions.create(**kwargs)]
    if door == "responses":
        kwargs = {"model": "gpt-4o", "input": prompt}
        if tools:
            kwargs["tools"] = [
                {"type": "function", "name": "get_weather", "parameters": WEATHER, "strict": True}
            ]
        if stream:
            return list(oai.responses.create(stream=True, **kwargs))
        return [oai.responses.create(**kwargs)]
    if door == "anthropic":
        kwargs = {
            "model": "claude-haiku-4-5",
            "max_tokens": 256,
            "messages": [{"role": "user", "content": prompt}],
        }
        if tools:
            kwargs["tools"] = [{"name": "get_weather", "input_schema": WEATHER}]
        if stream:
            return list(claude.messages.create(stream=True, **kwargs))
        return [claude.messages.create(**kwargs)]
    config = types.GenerateContentConfig(
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        tools=[
            types.Tool(
                function_declarations=[
                    types.FunctionDeclaration(name="get_weather", parameters_json_schema=WEATHER)
                ]
            )
        ]
        if tools
        else None,
    )
    if stream:
        return list(
            gem.models.generate_content_stream(model="gemini-2.5-flash", contents=prompt, config=config)
        )
    return [gem.models.generate_content(model="gemini-2.5-flash", contents=prompt, config=config)]


OPENAI_CLASSES: dict[int, type[Exception]] = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    402: openai.APIStatusError,
    404: openai.NotFoundError,
    429: openai.RateLimitError,
    500: openai.InternalServerError,
    502: openai.InternalServerError,
    503: openai.InternalServerError,
}
ANTHROPIC_CLASSES: dict[int, type[Exception]] = {
    400: anthropic.BadRequestError,
    401: anthropic.AuthenticationError,
    402: anthropic.PaymentRequiredError,
    404: anthropic.NotFoundError,
    429: anthropic.RateLimitError,
    500: anthropic.InternalServerError,
    502: anthropic.InternalServerError,
    503: anthropic.ServiceUnavailableError,
}
GEMINI_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    402: "FAILED_PRECONDITION",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
}


@pytest.mark.parametrize("status", sorted(OPENAI_CLASSES))
@pytest.mark.parametrize("door", DOORS)
def test_http_errors_map_to_each_sdks_classes(
    em: Emulator, oai: Any, claude: Any, gem: Any, door: str, status: int
) -> None:
    em.fault(Fault.http_error(status, retry_after=7 if status == 429 else None))
    if door in ("openai", "responses"):
        with pytest.raises(openai.APIStatusError) as caught:
            call(door, oai, claude, gem)
        assert type(caught.value) is OPENAI_CLASSES[status] and caught.value.status_code == status
        assert set(caught.value.body) == {"message", "type", "param", "code"}
    elif door == "anthropic":
        with pytest.raises(anthropic.APIStatusError) as caught:
            call(door, oai, claude, gem)
        assert type(caught.value) is ANTHROPIC_CLASSES[status] and caught.value.status_code == status
        assert caught.value.body["type"] == "error" and caught.value.request_id.startswith("req_")
    else:
        expected = genai_errors.ClientError if status < 500 else genai_errors.ServerError
        with pytest.raises(expected) as caught:
            call(door, oai, claude, gem)
        assert caught.value.code == status and caught.value.status == GEMINI_STATUS[status]
    if status == 429:
        assert caught.value.response.headers["retry-after"] == "7"


def test_error_messages_codes_and_model_names(em: Emulator, oai: Any) -> None:
    em.fault("http_error", status=429, code="insufficient_quota").fault("http_error", status=404)
    with pytest.raises(openai.RateLimitError) as quota:
        call("openai", oai, None, None)
    assert quota.value.code == "insufficient_quota" and "quota" in quota.value.message
    with pytest.raises(openai.NotFoundError) as missing:
        call("openai", oai, None, None)
    assert missing.value.code == "model_not_found" and "`gpt-4o`" in missing.value.message
    em.fault(Fault.http_error(400, "Temperature must be in (0, 1]."))
    with pytest.raises(openai.BadRequestError, match=r"Temperature must be in \(0, 1\]\."):
        call("openai", oai, None, None)


def test_sdk_retries_honour_retry_after(em: Emulator) -> None:
    em.fault(Fault.http_error(429, retry_after=0.01), count=2)
    client = openai.OpenAI(base_url=em.url + "/v1", api_key="k", max_retries=2)
    answer = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "retry me"}]
    )
    assert 'cannot answer "retry me"' in answer.choices[0].message.content
    assert [r.headers["x-stainless-retry-count"] for r in em.log] == ["0", "1", "2"]
    em.fault(Fault.http_error(503), door="gemini")
    from google import genai

    retrying = genai.Client(
        api_key="k",
        http_options=types.HttpOptions(
            base_url=em.url,
            api_version="v1beta",
            retry_options=types.HttpRetryOptions(attempts=2, initial_delay=0.01, jitter=0),
        ),
    )
    assert 'cannot answer "again"' in retrying.models.generate_content(model="gemini-2.5-flash", contents="again").text


def test_delay_and_client_timeout(em: Emulator) -> None:
    em.fault(Fault.delay(0.3))
    client = openai.OpenAI(base_url=em.url + "/v1", api_key="k", max_retries=0)
    started = time.monotonic()
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "slow"}])
    assert time.monotonic() - started >= 0.3
    em.fault(Fault.delay(2))
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.2).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "x"}]
        )


def test_a_request_whose_client_gave_up_before_its_body_was_read_is_logged_and_meets_its_fault(
    em: Emulator,
) -> None:
    """What a busy emulator sees when a client times out before the request is read: it counts."""
    import socket
    from urllib.parse import urlsplit

    em.fault(Fault.http_error(503), count=1)
    address = urlsplit(em.url)
    with socket.create_connection((address.hostname, address.port)) as sock:  # the body never completes
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                     b"authorization: Bearer k\r\ncontent-length: 500\r\n\r\n{\"model\": ")
    deadline = time.monotonic() + 5
    while not len(em.log) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [(r.door, r.path, r.body) for r in em.log] == [("openai", "/v1/chat/completions", None)]
    # The 503 was used up, as by a request read in time: the next request is answered.
    client = openai.OpenAI(base_url=em.url + "/v1", api_key="k", max_retries=0)
    assert client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}]).choices


DROP_ERRORS: dict[str, tuple[type[Exception], ...]] = {
    "openai": (openai.APIConnectionError,),
    "responses": (openai.APIConnectionError,),
    "anthropic": (anthropic.APIConnectionError,),
    # google-genai does not wrap transport errors (SDK_FACTS §1.3).
    "gemini": (httpx2.RemoteProtocolError,),
}


@pytest.mark.parametrize("door", DOORS)
def test_drop_before_response(em: Emulator, oai: Any, claude: Any, gem: Any, door: str) -> None:
    em.fault(Fault.drop(), door=door)
    with pytest.raises(DROP_ERRORS[door]) as caught:
        call(door, oai, claude, gem)
    if door == "gemini":
        assert "without sending a response" in str(caught.value)
    assert call(door, oai, claude, gem)  # the connection pool recovers


def test_drop_is_retried_by_the_openai_sdk(em: Emulator) -> None:
    em.fault(Fault.drop())
    client = openai.OpenAI(base_url=em.url + "/v1", api_key="k", max_retries=1)
    assert client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "r"}]).choices
    assert len(em.log) == 2


MID_STREAM_ERRORS: dict[str, tuple[type[Exception], ...]] = {
    "openai": (openai.APIConnectionError,),
    "responses": (openai.APIConnectionError,),
    # anthropic and google-genai let httpx2's incomplete-chunked-read error through while iterating.
    "anthropic": (httpx2.RemoteProtocolError, anthropic.APIConnectionError),
    "gemini": (httpx2.RemoteProtocolError,),
}


@pytest.mark.parametrize("door", DOORS)
def test_drop_mid_stream(em: Emulator, oai: Any, claude: Any, gem: Any, door: str) -> None:
    seen: list[Any] = []

    def consume() -> None:
        stream: Any
        if door == "openai":
            stream = oai.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "a b c d e f"}], stream=True
            )
        elif door == "responses":
            stream = oai.responses.create(model="gpt-4o", input="a b c d e f", stream=True)
        elif door == "anthropic":
            stream = claude.messages.create(
                model="claude-haiku-4-5",
                max_tokens=99,
                messages=[{"role": "user", "content": "a b c d e f"}],
                stream=True,
            )
        else:
            stream = gem.models.generate_content_stream(
                model="gemini-2.5-flash", contents="a b c d e f g h i j k l m n"
            )
        for event in stream:
            seen.append(event)

    em.fault(Fault.drop_mid_stream(after_events=2), door=door)
    with pytest.raises(MID_STREAM_ERRORS[door]):
        consume()
    assert len(seen) == 2  # the events before the drop arrived


@pytest.mark.parametrize("door", ["openai", "anthropic", "gemini"])
def test_drop_mid_body_of_a_json_answer(em: Emulator, oai: Any, claude: Any, gem: Any, door: str) -> None:
    em.fault(Fault.drop_mid_stream(), door=door)
    with pytest.raises(DROP_ERRORS[door] + (httpx2.RemoteProtocolError,)):
        call(door, oai, claude, gem)


MALFORMED_ERRORS: dict[str, type[Exception]] = {
    "openai": json.JSONDecodeError,
    "responses": json.JSONDecodeError,
    "anthropic": json.JSONDecodeError,
    "gemini": genai_errors.UnknownApiResponseError,
}


@pytest.mark.parametrize("door", DOORS)
def test_malformed_sse(em: Emulator, oai: Any, claude: Any, gem: Any, door: str) -> None:
    em.fault(Fault.malformed_sse(after_events=1), door=door)
    with pytest.raises(MALFORMED_ERRORS[door]):
        call(door, oai, claude, gem, stream=True)


def test_malformed_json_body(em: Emulator, oai: Any) -> None:
    em.fault(Fault.malformed_sse())
    with pytest.raises(json.JSONDecodeError):
        call("openai", oai, None, None)


def test_error_event_inside_a_200_stream(em: Emulator, oai: Any, claude: Any, gem: Any) -> None:
    em.fault(Fault.stream_error("Upstream fell over."), door="openai")
    with pytest.raises(openai.APIError, match=r"Upstream fell over\.") as openai_error:
        call("openai", oai, claude, gem, stream=True)
    assert openai_error.value.body == {
        "message": "Upstream fell over.",
        "type": "server_error",
        "param": None,
        "code": None,
    }

    em.fault(Fault.stream_error(status=529), door="anthropic")
    with pytest.raises(anthropic.APIStatusError) as anthropic_error:
        call("anthropic", oai, claude, gem, stream=True)
    assert anthropic_error.value.status_code == 200  # the stream itself was a 200 (SDK_FACTS §1.2)
    assert anthropic_error.value.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}

    em.fault(Fault.stream_error(status=503), door="gemini")
    with pytest.raises(genai_errors.ServerError) as gemini_error:
        call("gemini", oai, claude, gem, stream=True)
    assert gemini_error.value.code == 503 and gemini_error.value.status == "UNAVAILABLE"

    em.fault(Fault.stream_error("Responses failed."), door="responses")
    events = call("responses", oai, claude, gem, stream=True)
    assert [e.type for e in events][-1] == "error" and events[-1].message == "Responses failed."


def test_stream_error_on_a_json_request_is_an_http_error(em: Emulator, oai: Any) -> None:
    em.fault(Fault.stream_error(status=502))
    with pytest.raises(openai.InternalServerError):
        call("openai", oai, None, None)


def test_invalid_tool_arguments(em: Emulator, oai: Any, claude: Any, gem: Any) -> None:
    em.fault(Fault.invalid_tool_args(), count=None)
    (completion,) = call("openai", oai, claude, gem, tools=True)
    arguments = completion.choices[0].message.tool_calls[0].function.arguments
    with pytest.raises(json.JSONDecodeError):
        json.loads(arguments)
    (response,) = call("responses", oai, claude, gem, tools=True)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.output[0].arguments)
    # Object wires cannot carry broken JSON, so the arguments fail the schema instead.
    (message,) = call("anthropic", oai, claude, gem, tools=True)
    assert message.content[0].input == {}
    (gemini,) = call("gemini", oai, claude, gem, tools=True)
    assert gemini.function_calls[0].args == {}
    # ... but an Anthropic stream does carry the broken partial JSON.
    events = call("anthropic", oai, claude, gem, tools=True, stream=True)
    partial = "".join(e.delta.partial_json for e in events if e.type == "content_block_delta")
    with pytest.raises(json.JSONDecodeError):
        json.loads(partial)


def test_fault_filters_and_counts(em: Emulator, oai: Any, claude: Any, gem: Any) -> None:
    em.fault(Fault.http_error(500), door="anthropic", count=None)
    em.fault(Fault.http_error(503), model="gemini-2.5-flash", count=2)
    em.fault(Fault.http_error(418), path="/responses")
    assert call("openai", oai, claude, gem)
    for _ in range(3):
        with pytest.raises(anthropic.InternalServerError):
            call("anthropic", oai, claude, gem)
    for _ in range(2):
        with pytest.raises(genai_errors.ServerError):
            call("gemini", oai, claude, gem)
    assert call("gemini", oai, claude, gem)
    with pytest.raises(openai.APIStatusError) as teapot:
        call("responses", oai, claude, gem)
    assert teapot.value.status_code == 418
    assert [rule.door for rule in em._core.faults.pending] == ["anthropic"]


def test_scripted_turn_with_a_fault(em: Emulator, oai: Any) -> None:
    em.script(
        Turn(fault=Fault.http_error(500)), Fault.http_error(502), Turn(text="after", fault=Fault.delay(0.01))
    )
    for status in (500, 502):
        with pytest.raises(openai.InternalServerError) as caught:
            call("openai", oai, None, None)
        assert caught.value.status_code == status
    assert call("openai", oai, None, None)[0].choices[0].message.content == "after"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Fault("explode"), "Unknown fault kind"),  # type: ignore[arg-type]
        (lambda: Fault.http_error(99), "between 100 and 599"),
        (lambda: Fault.delay(-1), "cannot be negative"),
        (lambda: Fault.drop_mid_stream(after_events=-1), "cannot be negative"),
    ],
)
def test_fault_validation(make: Callable[[], Fault], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_fault_argument_errors(em: Emulator) -> None:
    with pytest.raises(TypeError, match="either a Fault or a fault kind"):
        em.fault(Fault.drop(), status=500)
    with pytest.raises(ValueError, match="count must be at least 1"):
        em.fault(Fault.drop(), count=0)


def test_probabilistic_faults_are_seeded(em: Emulator, http: Any) -> None:
    def pattern() -> list[int]:
        em.reset()
        em.fault(Fault.http_error(429), count=None, probability=0.5, seed=7)
        return [http.get(em.url + "/v1/models").status_code for _ in range(16)]

    first = pattern()
    assert set(first) == {200, 429}
    assert pattern() == first  # the same seed strikes the same requests
    with pytest.raises(ValueError, match="probability must be above 0"):
        em.fault(Fault.drop(), probability=0)
