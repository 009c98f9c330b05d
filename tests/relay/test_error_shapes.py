# The relays' messages keep the full-width punctuation their source writes (brackets, colon, dollar sign).
# ruff: noqa: RUF001
"""Every error shape relays and gateways answer with, mapped to the agentkit error a user can act on.

The bodies are the real ones: LiteLLM proxy's (recorded through a LiteLLM 1.108 proxy in front of the
emulator, see tests/gateways), FastAPI's `{"detail": ...}`, Fastify's `{"message", "error",
"statusCode"}`, plain text and HTML pages from what stands in front of a relay, and the messages of
the new-api / one-api family as their source writes them (Chinese included; new-api appends
" (request id: ...)" to every message it makes itself). The relay's own message must reach the user
verbatim; the status and the words decide the type, the words winning where they disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import agentkit as ak
from agentkit.errors import error_from_status
from tests.conftest import serve_asgi

RID = " (request id: 2026120705293512345678)"


def _openai(message: str, kind: str | None = None, code: Any = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


#: (case, status, body as sent, the message the user must see, the error class)
CASES: list[tuple[str, int, Any, str, type[ak.RelayError]]] = [
    # ---------------------------------------------------------------- OpenAI-shaped, relayed verbatim
    ("openai 401 passed on from the vendor", 401,
     _openai("Incorrect API key provided: sk-a***abcd. You can find your API key at "
             "https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"),
     "Incorrect API key provided: sk-a***abcd. You can find your API key at "
     "https://platform.openai.com/account/api-keys.", ak.AuthenticationError),
    ("anthropic 400 credit balance too low", 400,
     {"type": "error", "error": {"type": "invalid_request_error", "message": "Your credit balance is too low to "
                                 "access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}},
     "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or "
     "purchase credits.", ak.InsufficientBalanceError),
    # ---------------------------------------------------------------- LiteLLM proxy
    ("litellm 400 unknown model", 400,
     _openai("/chat/completions: Invalid model name passed in model=gpt-5o. Call `/v1/models` to view available "
             "models for your key.", "invalid_request_error", "400"),
     "/chat/completions: Invalid model name passed in model=gpt-5o. Call `/v1/models` to view available models "
     "for your key.", ak.ModelNotFoundError),
    ("litellm 400 unknown model on its anthropic endpoint", 400,
     {"type": "error", "error": {"type": "invalid_request_error", "message": "anthropic_messages: Invalid model "
                                 "name passed in model=claude-sonet-4-5. Call `/v1/models` to view available models "
                                 "for your key."}},
     "anthropic_messages: Invalid model name passed in model=claude-sonet-4-5. Call `/v1/models` to view available "
     "models for your key.", ak.ModelNotFoundError),
    ("litellm 401 anthropic pass-through without credential", 401,
     {"detail": "No Anthropic credential is configured on this proxy and the request carried no upstream Anthropic "
                "credential. The LiteLLM virtual key is not forwarded to Anthropic."},
     "No Anthropic credential is configured on this proxy and the request carried no upstream Anthropic "
     "credential. The LiteLLM virtual key is not forwarded to Anthropic.", ak.AuthenticationError),
    ("litellm 400 a key it cannot look up", 400,
     _openai("No connected db.", "no_db_connection", "400"), "No connected db.", ak.AuthenticationError),
    ("litellm 401 wrong virtual key", 401,
     _openai("Authentication Error, Invalid proxy server token passed. Received API Key = sk-...wxyz, Key Hash "
             "(Token) =ab12. Unable to find token in cache or `LiteLLM_VerificationTokenTable`", "auth_error", "401"),
     "Authentication Error, Invalid proxy server token passed. Received API Key = sk-...wxyz, Key Hash (Token) "
     "=ab12. Unable to find token in cache or `LiteLLM_VerificationTokenTable`", ak.AuthenticationError),
    ("litellm 401 key may not use the model", 401,
     _openai("Authentication Error, key not allowed to access model. This key can only access models=['gpt-4o']. "
             "Tried to access gpt-4o-mini", "key_model_access_denied", "401"),
     "Authentication Error, key not allowed to access model. This key can only access models=['gpt-4o']. Tried "
     "to access gpt-4o-mini", ak.AuthenticationError),
    ("litellm 400 budget exceeded", 400,
     _openai("Budget has been exceeded! Current cost: 10.02, Max budget: 10.0", "budget_exceeded", "400"),
     "Budget has been exceeded! Current cost: 10.02, Max budget: 10.0", ak.InsufficientBalanceError),
    ("litellm 429 cooling down", 429,
     _openai("No deployments available for selected model, Try again in 5 seconds. Passed model=gpt-4o. "
             "pre-call-checks=False, cooldown_list=[('8d90', {'exception_received': 'RateLimitError'})]",
             "None", "429"),
     "No deployments available for selected model, Try again in 5 seconds. Passed model=gpt-4o. "
     "pre-call-checks=False, cooldown_list=[('8d90', {'exception_received': 'RateLimitError'})]", ak.RateLimitError),
    ("fastapi 404 no route", 404, {"detail": "Not Found"}, "Not Found", ak.ModelNotFoundError),
    ("fastapi 422 validation errors", 422,
     {"detail": [{"loc": ["body", "messages"], "msg": "field required", "type": "value_error.missing"},
                 {"loc": ["body", "max_tokens"], "msg": "value is not a valid integer", "type": "type_error"}]},
     "body.messages: field required; body.max_tokens: value is not a valid integer", ak.BadRequestError),
    ("fastapi detail object", 403, {"detail": {"error": "Key is blocked. Update via `/key/unblock`."}},
     "Key is blocked. Update via `/key/unblock`.", ak.AuthenticationError),
    # ---------------------------------------------------------------- Fastify-based gateways
    ("fastify 401", 401, {"statusCode": 401, "error": "Unauthorized", "message": "Invalid API key"},
     "Invalid API key", ak.AuthenticationError),
    ("fastify 404 route", 404,
     {"message": "Route POST:/anthropic/v1/messages not found", "error": "Not Found", "statusCode": 404},
     "Route POST:/anthropic/v1/messages not found", ak.ModelNotFoundError),
    ("fastify 429", 429, {"statusCode": 429, "error": "Too Many Requests",
                          "message": "Rate limit exceeded, retry in 1 minute"},
     "Rate limit exceeded, retry in 1 minute", ak.RateLimitError),
    ("fastify 500", 500, {"statusCode": 500, "code": "FST_ERR_CTP_INVALID_MEDIA_TYPE", "error": "Internal Server "
                          "Error", "message": "upstream provider failed"},
     "upstream provider failed", ak.UpstreamError),
    # ---------------------------------------------------------------- Portkey AI gateway (1.15.2, from its source)
    ("portkey invalid config", 400,
     {"status": "failure", "message": "Invalid config passed",
      "errors": ["path: targets,0, message: Invalid configuration. It must have either 'provider' and 'api_key', "
                 "or 'strategy' and 'targets', or 'cache', or 'retry', or 'request_timeout'"]},
     "Invalid config passed: path: targets,0, message: Invalid configuration. It must have either 'provider' and "
     "'api_key', or 'strategy' and 'targets', or 'cache', or 'retry', or 'request_timeout'", ak.BadRequestError),
    ("portkey no route for the provider", 500, {"status": "failure", "message": "messages is not supported by openai"},
     "messages is not supported by openai", ak.BadRequestError),
    ("portkey router", 400, {"status": "failure", "message": "Query router did not resolve to any valid target"},
     "Query router did not resolve to any valid target", ak.BadRequestError),
    ("portkey vendor error passed on", 404,
     {"error": {"message": "anthropic error: model: claude-sonet-4-5", "type": "not_found_error", "param": None,
                "code": None}, "provider": "anthropic"},
     "anthropic error: model: claude-sonet-4-5", ak.ModelNotFoundError),
    # ---------------------------------------------------------------- text and pages
    ("plain text 502 from envoy", 502,
     "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
     "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
     ak.UpstreamError),
    ("plain text 401", 401, "Unauthorized\n", "Unauthorized", ak.AuthenticationError),
    ("nginx 502 page", 502,
     "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>"
     "\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n",
     "an HTML page: 502 Bad Gateway - nginx/1.24.0", ak.UpstreamError),
    ("cloudflare 524 page", 524,
     "<!DOCTYPE html><html><head><title>relay.example | 524: A timeout occurred</title><style>body{color:red}"
     "</style><script>var x = 1;</script></head><body><h1>A timeout occurred</h1><p>Error code 524</p></body></html>",
     "an HTML page: relay.example | 524: A timeout occurred - A timeout occurred Error code 524", ak.UpstreamError),
    ("plain {'error': text}", 401, {"error": "Unauthorized"}, "Unauthorized", ak.AuthenticationError),
    # ---------------------------------------------------------------- one-api (songquanpeng/one-api)
    ("one-api 401 invalid token", 401,
     {"error": {"message": "无效的令牌" + RID, "type": "one_api_error"}}, "无效的令牌" + RID, ak.AuthenticationError),
    ("one-api 401 token expired", 401,
     {"error": {"message": "该令牌已过期" + RID, "type": "one_api_error"}}, "该令牌已过期" + RID,
     ak.AuthenticationError),
    ("one-api 401 token unavailable", 401,
     {"error": {"message": "该令牌状态不可用" + RID, "type": "one_api_error"}}, "该令牌状态不可用" + RID,
     ak.AuthenticationError),
    ("one-api 401 token quota used up", 401,
     {"error": {"message": "令牌 notebook（#12）额度已用尽" + RID, "type": "one_api_error"}},
     "令牌 notebook（#12）额度已用尽" + RID, ak.InsufficientBalanceError),
    ("one-api 403 model not allowed for the token", 403,
     {"error": {"message": "该令牌无权使用模型：gpt-4o" + RID, "type": "one_api_error"}},
     "该令牌无权使用模型：gpt-4o" + RID, ak.AuthenticationError),
    ("one-api 403 user quota not enough", 403,
     {"error": {"message": "user quota is not enough", "type": "one_api_error", "code": "insufficient_user_quota"}},
     "user quota is not enough", ak.InsufficientBalanceError),
    ("one-api 403 pre-consume failed", 403,
     {"error": {"message": "令牌额度不足", "type": "one_api_error", "code": "pre_consume_token_quota_failed"}},
     "令牌额度不足", ak.InsufficientBalanceError),
    ("one-api 503 no channel for the model", 503,
     {"error": {"message": "当前分组 default 下对于模型 gpt-5o 无可用渠道" + RID, "type": "one_api_error"}},
     "当前分组 default 下对于模型 gpt-5o 无可用渠道" + RID, ak.ModelNotFoundError),
    # ---------------------------------------------------------------- new-api (QuantumNous/new-api)
    ("new-api 401 invalid token", 401,
     {"error": {"message": "Invalid token" + RID, "type": "new_api_error", "code": ""}}, "Invalid token" + RID,
     ak.AuthenticationError),
    ("new-api 401 token expired", 401,
     {"error": {"message": "This token has expired" + RID, "type": "new_api_error", "code": ""}},
     "This token has expired" + RID, ak.AuthenticationError),
    ("new-api 401 token quota exhausted", 401,
     {"error": {"message": "该令牌额度已用尽 TokenStatusExhausted[sk-abc***xyz]" + RID, "type": "new_api_error",
                "code": ""}},
     "该令牌额度已用尽 TokenStatusExhausted[sk-abc***xyz]" + RID, ak.InsufficientBalanceError),
    ("new-api 403 user quota", 403,
     {"error": {"message": "用户额度不足, 剩余额度: ＄0.000000" + RID, "type": "new_api_error",
                "code": "insufficient_user_quota"}},
     "用户额度不足, 剩余额度: ＄0.000000" + RID, ak.InsufficientBalanceError),
    ("new-api 403 overdrawn wallet", 403,
     {"error": {"message": "账户已透支, 当前欠费 ＄1.20, 请充值补足欠款后再继续调用" + RID, "type": "new_api_error",
                "code": "insufficient_user_quota"}},
     "账户已透支, 当前欠费 ＄1.20, 请充值补足欠款后再继续调用" + RID, ak.InsufficientBalanceError),
    ("new-api 403 model forbidden (en)", 403,
     {"error": {"message": "This token has no access to model gpt-4o" + RID, "type": "new_api_error", "code": ""}},
     "This token has no access to model gpt-4o" + RID, ak.AuthenticationError),
    ("new-api 403 model forbidden (zh)", 403,
     {"error": {"message": "该令牌无权访问模型 gpt-4o" + RID, "type": "new_api_error", "code": ""}},
     "该令牌无权访问模型 gpt-4o" + RID, ak.AuthenticationError),
    ("new-api 503 no channel (en)", 503,
     {"error": {"message": "No available channel for model gpt-5o under group default (distributor)" + RID,
                "type": "new_api_error", "code": "model_not_found"}},
     "No available channel for model gpt-5o under group default (distributor)" + RID, ak.ModelNotFoundError),
    ("new-api 503 no channel (zh)", 503,
     {"error": {"message": "分组 default 下模型 gpt-5o 无可用渠道（distributor）" + RID, "type": "new_api_error",
                "code": "model_not_found"}},
     "分组 default 下模型 gpt-5o 无可用渠道（distributor）" + RID, ak.ModelNotFoundError),
    ("new-api 429 request limit", 429,
     {"error": {"message": "您已达到请求数限制：1分钟内最多请求60次" + RID, "type": "new_api_error", "code": ""}},
     "您已达到请求数限制：1分钟内最多请求60次" + RID, ak.RateLimitError),
    ("new-api 403 channel disabled", 403,
     {"error": {"message": "该渠道已被禁用" + RID, "type": "new_api_error", "code": ""}}, "该渠道已被禁用" + RID,
     ak.AuthenticationError),
    ("{code, msg} body", 503, {"code": 1, "msg": "无可用渠道"}, "无可用渠道", ak.ModelNotFoundError),
]


@pytest.mark.parametrize(("case", "status", "body", "message", "expected"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("as_text", [True, False], ids=["raw", "parsed"])
def test_every_shape_keeps_the_relays_words_and_gets_the_right_type(
    case: str, status: int, body: Any, message: str, expected: type[ak.RelayError], as_text: bool
) -> None:
    sent = body if isinstance(body, str) or not as_text else json.dumps(body, ensure_ascii=False)
    error = error_from_status(status, sent, dialect="openai", model="gpt-5o")
    assert type(error) is expected, case
    assert isinstance(error, ak.AgentkitError)
    assert error.message == message
    text = str(error)
    assert message in text and f"HTTP {status}" in text and text.endswith(".")
    assert "platform.openai.com" not in error.advice  # the advice is for a relay user


def _error(status: int, body: Any) -> ak.RelayError:
    return error_from_status(status, body, dialect="openai", model="gpt-5o")


def test_the_words_win_over_the_status_and_pick_the_advice() -> None:
    unknown = _error(400, CASES[2][2])
    assert isinstance(unknown, ak.ModelNotFoundError) and "relay.models()" in unknown.advice
    forbidden = _error(403, {"error": {"message": "该令牌无权使用模型：gpt-4o", "type": "one_api_error"}})
    assert "may not use this model" in forbidden.advice
    expired = _error(401, {"error": {"message": "该令牌已过期", "type": "one_api_error"}})
    assert "expired or was disabled" in expired.advice
    spent = _error(401, {"error": {"message": "令牌 a（#1）额度已用尽", "type": "one_api_error"}})
    assert isinstance(spent, ak.InsufficientBalanceError) and "Top up" in spent.advice and not spent.retryable
    nodb = _error(400, _openai("No connected db.", "no_db_connection", "400"))
    assert "master key" in nodb.advice and nodb.code == "no_db_connection"
    vendor = _error(401, CASES[0][2])
    assert "relay's operator" in vendor.advice
    plain = _error(401, {"error": {"message": "Invalid token", "type": "new_api_error"}})
    assert plain.advice == ak.AuthenticationError.advice
    channel = _error(403, {"error": {"message": "该渠道已被禁用", "type": "new_api_error"}})
    assert channel.advice == ak.AuthenticationError.advice  # a channel, not the key, was disabled


def test_no_channel_for_a_model_is_retried_then_named() -> None:
    """A 503 "no available channel for model" may pass (a channel comes back): retried like a 5xx, and
    when it is raised it is a ModelNotFoundError saying so."""
    error = _error(503, {"error": {"message": "No available channel for model gpt-5o under group default",
                                   "type": "new_api_error", "code": "model_not_found"}})
    assert isinstance(error, ak.ModelNotFoundError) and error.retryable
    assert "no channel" in error.advice
    assert not _error(404, {"error": {"message": "The model `gpt-5o` does not exist", "code": "model_not_found"}}
                      ).retryable


def test_a_gateway_without_a_route_for_the_provider_is_not_retried() -> None:
    """Portkey's 500 "messages is not supported by openai" is no passing failure: it is raised at once,
    saying to use the door of the model's own format."""
    error = _error(500, {"status": "failure", "message": "createModelResponse is not supported by anthropic"})
    assert isinstance(error, ak.BadRequestError) and not error.retryable and error.code is None
    assert "door of its own format" in error.advice
    # Its `"status": "failure"` is no error code (Gemini's nested `status` is).
    assert _error(500, {"status": "failure", "message": "Something went wrong"}).code is None


def test_a_status_only_code_is_not_shown_as_a_code() -> None:
    error = _error(400, _openai("Invalid model name passed in model=x", "invalid_request_error", "400"))
    assert error.code == "invalid_request_error" and "(400)" not in str(error)


# ---------------------------------------------------------------------- through the official SDKs


class ShapeRelay:
    """Answers every request with `status`, `body` and `content_type`, on every door."""

    status = 401
    body = ""
    content_type = "application/json"

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            return Response(self.body, status_code=self.status, media_type=self.content_type)

        return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def shape_relay() -> Iterator[tuple[ShapeRelay, ak.Relay]]:
    stub = ShapeRelay()
    with serve_asgi(stub.app()) as url:
        # Every door given, so that none is looked for at another path.
        yield stub, ak.Relay(url, api_key="sk-shapes-0123456789abcdef", max_retries=0, timeout=10,
                             anthropic_url=url + "/anthropic", gemini_url=url)


SDK_SHAPES = [
    ("fastify", 401, json.dumps({"statusCode": 401, "error": "Unauthorized", "message": "Invalid API key"}),
     "application/json", "Invalid API key", ak.AuthenticationError),
    ("detail", 401, json.dumps({"detail": "No Anthropic credential is configured on this proxy"}), "application/json",
     "No Anthropic credential is configured on this proxy", ak.AuthenticationError),
    ("plain", 502, "upstream connect error", "text/plain", "upstream connect error", ak.UpstreamError),
    ("html", 502, "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
     "text/html", "an HTML page: 502 Bad Gateway", ak.UpstreamError),
    ("litellm unknown model", 400, json.dumps(_openai("Invalid model name passed in model=gpt-5o", "invalid_request_error",
                                                      "400")),
     "application/json", "Invalid model name passed in model=gpt-5o", ak.ModelNotFoundError),
    ("new-api balance", 403, json.dumps({"error": {"message": "用户额度不足, 剩余额度: ＄0.000000", "type": "new_api_error",
                                                  "code": "insufficient_user_quota"}}, ensure_ascii=False),
     "application/json", "用户额度不足, 剩余额度: ＄0.000000", ak.InsufficientBalanceError),
]


@pytest.mark.parametrize("dialect", ["openai", "responses", "anthropic", "gemini"])
@pytest.mark.parametrize(("case", "status", "body", "content_type", "message", "expected"), SDK_SHAPES,
                         ids=[s[0] for s in SDK_SHAPES])
def test_the_relays_words_survive_every_sdk(
    shape_relay: tuple[ShapeRelay, ak.Relay], dialect: str, case: str, status: int, body: str,
    content_type: str, message: str, expected: type[ak.RelayError],
) -> None:
    """The SDKs parse error bodies their own way and drop what they do not expect (the OpenAI SDK keeps
    only `error`, so Fastify's message is lost): the mapping reads the answer's raw text."""
    stub, relay = shape_relay
    stub.status, stub.body, stub.content_type = status, body, content_type
    agent = ak.Agent(f"{dialect}:gpt-5o", relay=relay, display=False)
    with pytest.raises(ak.RelayError) as caught:
        agent("hi")
    error = caught.value
    assert type(error) is expected, (case, dialect, str(error))
    assert error.message == message and error.status == status and error.dialect == dialect
