"""Auth behaviour of each door and the request log (with its redaction of every key)."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from agentkit.emulator import Emulator
from agentkit.emulator.log import REDACTED

from .conftest import TEST_KEY

WRONG = "sk-wrong-key-98765"
USER = [{"role": "user", "content": "hi"}]


def gemini(url: str, key: str) -> Any:
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=url, api_version="v1beta"))


def test_openai_door_requires_the_bearer_key(keyed: Emulator) -> None:
    good = openai.OpenAI(base_url=keyed.url + "/v1", api_key=TEST_KEY, max_retries=0)
    assert 'cannot answer "hi"' in good.chat.completions.create(model="gpt-4o", messages=USER).choices[0].message.content
    assert 'cannot answer "hi"' in good.responses.create(model="gpt-4o", input="hi").output_text
    bad = openai.OpenAI(base_url=keyed.url + "/v1", api_key=WRONG, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        bad.chat.completions.create(model="gpt-4o", messages=USER)
    assert caught.value.code == "invalid_api_key"
    assert WRONG not in caught.value.message and TEST_KEY not in caught.value.response.text


def test_missing_key_wording(keyed: Emulator, http: Any) -> None:
    response = http.post(keyed.url + "/v1/chat/completions", json={"model": "gpt-4o", "messages": USER})
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("You didn't provide an API key.")
    response = http.post(
        keyed.url + "/anthropic/v1/messages", json={"model": "m", "max_tokens": 5, "messages": USER}
    )
    assert response.status_code == 401 and response.json()["error"]["type"] == "authentication_error"
    response = http.post(keyed.url + "/v1beta/models/gemini-2.5-flash:generateContent", json={"contents": []})
    assert response.status_code == 403 and response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_models_need_no_key(keyed: Emulator, http: Any) -> None:
    response = http.get(keyed.url + "/v1/models")
    assert response.status_code == 200 and response.json()["object"] == "list"


@pytest.mark.parametrize("style", ["bearer", "x-api-key"])
def test_anthropic_door_accepts_bearer_and_x_api_key(keyed: Emulator, style: str) -> None:
    if style == "bearer":
        client = anthropic.Anthropic(base_url=keyed.url + "/anthropic", api_key=TEST_KEY, max_retries=0)
    else:
        client = anthropic.Anthropic(
            base_url=keyed.url + "/anthropic",
            api_key=TEST_KEY,
            max_retries=0,
            default_headers={"x-api-key": TEST_KEY, "Authorization": anthropic.Omit()},
        )
    message = client.messages.create(model="claude-haiku-4-5", max_tokens=64, messages=USER)
    assert 'cannot answer "hi"' in message.content[0].text
    sent = keyed.log.last.headers
    assert (sent.get("authorization"), sent.get("x-api-key")) == (
        (REDACTED, None) if style == "bearer" else (None, REDACTED)
    )


def test_anthropic_wrong_key(keyed: Emulator) -> None:
    client = anthropic.Anthropic(base_url=keyed.url + "/anthropic", api_key=WRONG, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as caught:
        client.messages.create(model="claude-haiku-4-5", max_tokens=64, messages=USER)
    assert caught.value.body["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}


def test_gemini_wrong_key_is_a_400_api_key_invalid(keyed: Emulator, http: Any) -> None:
    wrong, right = gemini(keyed.url, WRONG), gemini(keyed.url, TEST_KEY)  # kept alive: see SDK_FACTS §1.3
    with pytest.raises(genai_errors.ClientError) as caught:
        wrong.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert caught.value.code == 400 and caught.value.status == "INVALID_ARGUMENT"
    assert caught.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    assert right.models.generate_content(model="gemini-2.5-flash", contents="hi").text
    by_query = http.post(
        keyed.url + f"/v1beta/models/gemini-2.5-flash:generateContent?key={TEST_KEY}",
        json={"contents": [{"parts": [{"text": "hi"}]}]},
    )
    assert by_query.status_code == 200
    assert keyed.log.last.query == {"key": REDACTED}


def test_gemini_auth_error_on_the_sse_endpoint_is_plain_json(keyed: Emulator, http: Any) -> None:
    response = http.post(
        keyed.url + "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
        json={"contents": [{"parts": [{"text": "hi"}]}]},
        headers={"x-goog-api-key": WRONG},
    )
    assert response.status_code == 400
    assert (
        response.headers["content-type"] == "text/event-stream"
    )  # as recorded: labelled SSE, plain JSON body
    assert response.text.startswith('{\n  "error": {\n    "code": 400,')


def test_the_log_records_every_request_and_redacts_every_key(keyed: Emulator, http: Any) -> None:
    openai.OpenAI(base_url=keyed.url + "/openai", api_key=TEST_KEY, max_retries=0).chat.completions.create(
        model="gpt-4o", messages=USER, stream=True
    ).close()
    anthropic.Anthropic(base_url=keyed.url + "/anthropic", api_key=TEST_KEY, max_retries=0).messages.create(
        model="claude-haiku-4-5", max_tokens=9, messages=USER, extra_headers={"x-api-key": TEST_KEY}
    )
    client = gemini(keyed.url, TEST_KEY)
    client.models.generate_content(model="gemini-2.5-flash", contents="hi")
    http.post(
        keyed.url + f"/v1beta/models/m:generateContent?key={TEST_KEY}&alt=json", json={"contents": USER}
    )
    http.get(keyed.url + "/v1/models", headers={"authorization": f"Bearer {TEST_KEY}", "cookie": "s=1"})
    http.post(keyed.url + "/elsewhere", headers={"api-key": TEST_KEY})
    records = list(keyed.log)
    assert [r.door for r in records] == ["openai", "anthropic", "gemini", "gemini", "models", "unknown"]
    assert TEST_KEY not in repr(records)
    for record in records:
        for name in ("authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie"):
            assert record.headers.get(name, REDACTED) == REDACTED
    first = records[0]
    assert (first.method, first.path, first.model, first.stream) == (
        "POST",
        "/openai/chat/completions",
        "gpt-4o",
        True,
    )
    assert first.body["messages"] == USER and first.headers["content-type"] == "application/json"
    assert records[2].model == "gemini-2.5-flash" and records[2].body["contents"][0]["parts"] == [
        {"text": "hi"}
    ]
    assert records[3].query == {"key": REDACTED, "alt": "json"}
    assert keyed.log.for_door("gemini") == records[2:4]
    assert keyed.log[-1] is records[-1] and len(keyed.log) == 6


def test_log_is_empty_after_reset(em: Emulator, oai: Any) -> None:
    oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert len(em.log) == 1
    em.reset()
    assert len(em.log) == 0
    with pytest.raises(IndexError, match="has not received any request"):
        _ = em.log.last
