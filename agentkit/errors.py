"""agentkit's error types, and the mapping from the three vendor SDKs' exceptions to them.

Why one mapping: the same relay failure (say, an empty balance) surfaces as `openai.APIStatusError`,
`anthropic.PaymentRequiredError` or `google.genai.errors.ClientError` depending on the door a model
went through. Users should catch one agentkit class whatever the dialect, so every SDK exception
passes through :func:`from_sdk_error` on its way out.

The hierarchy::

    AgentkitError
    ├── ConfigurationError           a developer mistake found at construction time (also a ValueError)
    ├── RelayError                   the relay answered with an error, or could not be reached
    │   ├── BadRequestError          400: the relay's message, verbatim
    │   ├── AuthenticationError      401/403, and Gemini's 400 API_KEY_INVALID: check the key
    │   ├── InsufficientBalanceError 402: top up; never retried
    │   │   └── QuotaExceededError   429 insufficient_quota: a quota, not a rate; never retried
    │   ├── ModelNotFoundError       404: the model name, with close matches when known
    │   ├── RateLimitError           429: retried with backoff, `retry_after` when the relay said
    │   ├── UpstreamError            5xx (and error events inside a 200 stream): retried, then raised
    │   └── RelayConnectionError     refused, reset or dropped connections (no HTTP status)
    │       └── RelayTimeoutError    the relay did not answer within `timeout`
    ├── EmptyAnswerError             the model answered with nothing, even after retries
    ├── ToolArgumentsError           a model's tool arguments failed the tool's schema
    ├── OutputValidationError        structured output failed its schema after every re-ask
    ├── OutputRefusedError           the model refused to give the structured answer
    ├── AgentBusyError               the agent is already running (another thread, a nested call)
    ├── BudgetExceededError          the run (or batch) spent its `max_cost`
    └── MaxTurnsExceeded             the run hit `max_turns` model requests

Every relay error carries `.status`, `.message` (the relay's own words), `.dialect`, `.model` and
`.code`, and never a secret: messages pass through :func:`redact` and the SDK exception (whose
request object holds the key in its headers) is kept off the traceback chain.

An `error` event inside a 200 stream that a dialect reads itself (Anthropic's `event: error`) is
raised as :class:`StreamErrorEvent`, the event's data as sent, and mapped here like the SDKs'
exceptions: the relay's `error.message` verbatim, its `error.type` as `.code` and for the class,
status 200 (see :func:`error_from_event`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "AgentBusyError",
    "AgentkitError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "ConfigurationError",
    "EmptyAnswerError",
    "InsufficientBalanceError",
    "MCPError",
    "MaxTurnsExceeded",
    "ModelNotFoundError",
    "OutputRefusedError",
    "OutputValidationError",
    "QuotaExceededError",
    "RateLimitError",
    "RelayConnectionError",
    "RelayError",
    "RelayTimeoutError",
    "StreamErrorEvent",
    "ToolArgumentsError",
    "UnknownKeyError",
    "UpstreamError",
    "error_from_event",
    "error_from_status",
    "from_sdk_error",
    "redact",
]


class AgentkitError(Exception):
    """Base class of every error agentkit raises on purpose."""


class ConfigurationError(AgentkitError, ValueError):
    """A developer mistake caught early: a bad URL, an unknown dialect, a missing key."""


class UnknownKeyError(AgentkitError, KeyError):
    """A lookup by name found nothing (`relay.check()["x"]`): also a `KeyError`, so `except KeyError`
    and `dict`-like habits keep working, with a message that names the keys there are."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""  # not KeyError's repr() of the message


class AgentBusyError(AgentkitError, RuntimeError):
    """The agent is already running a conversation turn: one run at a time per agent, since two
    would interleave one history. Wait for it, or give each thread its own `ak.Agent`."""


class RelayError(AgentkitError):
    """The relay answered with an error status, or could not be reached.

    Attributes:
        status: The HTTP status (None for connection failures; 200 for an error event inside a stream).
        message: The relay's own message, verbatim except for redacted secrets.
        dialect: The dialect (door) the request went through, if known.
        model: The model the request was for, if known.
        code: The relay's machine-readable code or type (`model_not_found`, `RESOURCE_EXHAUSTED`, ...).
        retry_after: Seconds the relay asked us to wait (from `Retry-After`), if it said.
    """

    #: Whether retrying the same request later can succeed.
    retryable: bool = False
    #: What a user should do about it; the last sentence of the message.
    advice: str = "Check the request and the relay's documentation."

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        dialect: str | None = None,
        model: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        advice: str | None = None,
    ) -> None:
        # Every text field is redacted, not only the message: relays echo the key in `code` too.
        self.message = redact(message)
        self.status = status
        self.dialect = dialect
        self.model = redact(model) if model is not None else None
        self.code = redact(str(code)) if code is not None else None
        self.retry_after = retry_after
        if advice is not None:
            self.advice = redact(advice)
        super().__init__(self._compose())

    def _compose(self) -> str:
        what = "The relay"
        if self.status is not None:
            what += f" answered HTTP {self.status}"
            if self.code:
                what += f" ({self.code})"
        elif isinstance(self, RelayTimeoutError):
            what += " did not answer in time"
        else:
            what = "The connection to the relay failed"
        if self.model:
            what += f" for model {self.model!r}"
        if self.dialect:
            what += f" on the `{self.dialect}` door"
        message = self.message.strip()
        if message and not message.endswith((".", "!", "?")):
            message += "."
        return f"{what}: {message} {self.advice}".replace("  ", " ")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructor: make the error picklable (multiprocessing, nbclient) anyway.
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[RelayError], message: str, state: dict[str, Any]) -> RelayError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    error.args = (error._compose(),)
    return error


class BadRequestError(RelayError):
    """HTTP 400: the relay rejected a parameter; its message is shown verbatim."""

    advice = "Fix the parameter the message names; some relays accept a narrower range than the vendor."


class AuthenticationError(RelayError):
    """HTTP 401/403 (and Gemini's 400 API_KEY_INVALID): the key is missing, wrong or expired."""

    advice = (
        "Check your relay API key (AGENTKIT_API_KEY or `api_key=`) and that it may use this model."
    )


class InsufficientBalanceError(RelayError):
    """HTTP 402: the account behind the key has no balance left. Never retried."""

    advice = "Top up your relay balance, then run again; retrying will not help."


class QuotaExceededError(InsufficientBalanceError):
    """HTTP 429 with `insufficient_quota`: a spent quota, which waiting does not fix."""

    advice = "Your quota is used up: top up or raise the plan's quota; retrying will not help."


class ModelNotFoundError(RelayError):
    """HTTP 404: the relay does not serve this model (often a typo)."""

    advice = "Check the model name; `relay.models()` lists what this relay serves."

    def __init__(self, message: str, *, suggestions: Iterable[str] = (), **kwargs: Any) -> None:
        self.suggestions = list(suggestions)
        if self.suggestions:
            kwargs.setdefault(
                "advice",
                "Did you mean "
                + ", ".join(repr(s) for s in self.suggestions)
                + "? `relay.models()` lists what this relay serves.",
            )
        super().__init__(message, **kwargs)


class RateLimitError(RelayError):
    """HTTP 429: too many requests or tokens per minute. Retried with backoff before it is raised."""

    retryable = True
    advice = "Wait and retry, lower the concurrency, or ask the relay for a higher rate limit."


class UpstreamError(RelayError):
    """HTTP 5xx, or an error event inside a stream: the relay or the vendor behind it failed."""

    retryable = True
    advice = "The relay or its upstream failed; retry later, or configure `backup_urls`."


class RelayConnectionError(RelayError):
    """The relay could not be reached, or dropped the connection (no HTTP status)."""

    retryable = True
    advice = "Check the relay URL and your network; `backup_urls=` adds a fallback host."


class RelayTimeoutError(RelayConnectionError):
    """The relay did not answer within the configured `timeout`."""

    advice = "Raise `timeout=` on the Relay, or stream the answer so long replies do not time out."


class EmptyAnswerError(AgentkitError):
    """The model answered with no text and no tool call, even after the retries of the relay's policy.

    A bare empty answer is usually a glitch (some models return one after tool results), so it is
    retried like a 5xx; one cut short by `max_tokens` or a content filter is raised at once, since
    asking again the same way gives the same nothing. The empty message is not added to the history.

    Attributes:
        model: The model that answered.
        dialect: The dialect (door) it answered through.
        finish_reason: Why the model stopped ("stop", "length", "content_filter", ...).
    """

    def __init__(
        self, message: str, *, model: str | None = None, dialect: str | None = None, finish_reason: str | None = None
    ) -> None:
        self.model = model
        self.dialect = dialect
        self.finish_reason = finish_reason
        super().__init__(message)

    @property
    def retryable(self) -> bool:
        """Only an unexplained empty answer is worth asking again."""
        return self.finish_reason not in ("length", "content_filter", "refusal")


class ToolArgumentsError(AgentkitError, ValueError):
    """A model's arguments for a tool failed its schema. The message is written for the model to act on."""

    def __init__(self, message: str, *, tool: str | None = None, errors: list[str] | None = None) -> None:
        self.tool = tool
        self.errors = errors or []
        super().__init__(message)


class OutputValidationError(AgentkitError, ValueError):
    """Structured output did not match its schema, even after re-asking. `.raw` holds the model's text."""

    def __init__(self, message: str, *, raw: str = "", errors: list[str] | None = None) -> None:
        self.raw = raw
        self.errors = errors or []
        super().__init__(message)


class OutputRefusedError(AgentkitError):
    """The model refused to give the structured answer (OpenAI's `refusal`, Anthropic's `refusal` stop).

    Not re-asked: a refusal is the model's decision, not a formatting slip. `.refusal` holds its
    words; the refusal stays in the history, so `agent(...)` can go on from it.
    """

    def __init__(self, message: str, *, refusal: str = "") -> None:
        self.refusal = refusal
        super().__init__(message)


class MaxTurnsExceeded(AgentkitError):
    """The run made `max_turns` model requests without a final answer. The history stays valid."""

    def __init__(self, message: str, *, max_turns: int | None = None) -> None:
        self.max_turns = max_turns
        super().__init__(message)


class BudgetExceededError(AgentkitError):
    """A run spent its `max_cost` and stopped before its next request; the history stays valid.

    In `ak.batch(..., max_cost=)`, the entry of each input not started once the batch had spent it.
    `.spent` is what had been spent (an `ak.Cost`), `.max_cost` the limit (a `Decimal`).
    """

    def __init__(self, message: str, *, spent: Any = None, max_cost: Any = None) -> None:
        self.spent = spent
        self.max_cost = max_cost
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only fields: kept through pickling (multiprocessing, nbclient) as the state.
        return type(self), (str(self),), self.__dict__.copy()


class MCPError(AgentkitError):
    """An MCP server (`ak.mcp.stdio` / `ak.mcp.http`) could not start, died, timed out or refused us.

    The message names the command or URL and quotes the last lines of the server's stderr.
    Attributes:
        server: The command line or URL of the server (never its headers).
        stderr: The last lines the server wrote to stderr ("" for HTTP servers or a quiet server).
        status: The HTTP status that refused us (401, 403...), else None.
    """

    def __init__(self, message: str, *, server: str = "", stderr: str = "", status: int | None = None) -> None:
        # A server's words (its stderr, a JSON-RPC error, an HTTP error) may echo a token it was given:
        # redacted here, once, as `RelayError` does, whoever raises.
        self.server = redact(server)
        self.stderr = redact(stderr)
        self.status = status
        super().__init__(redact(message))


class CacheHintWarning(UserWarning):
    """The relay refused a prompt-caching hint (`prompt_cache_key`, `cache_control`) for a model.

    The request went again without hints, and the relay gets none for that model from now on
    (`relay.no_cache_hints`); vendors that cache by themselves still do.
    """


class StreamErrorEvent(Exception):
    """An `error` event inside a 200 stream, as a dialect's stream reader met it; not yet an agentkit error.

    The reader raises it with the event's data as sent; :func:`from_sdk_error`, which the agent
    applies (with the relay's secrets, model and dialect) to whatever a model call raised, turns it
    into the agentkit error (:func:`error_from_event`). `str()` is the data, for a traceback.
    """

    def __init__(self, data: str | None) -> None:
        self.data = data or ""
        super().__init__(self.data)


# --------------------------------------------------------------------------------------------------
# Secrets


_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{3})[A-Za-z0-9_\-*]{8,}|\b(AIza)[0-9A-Za-z_\-]{20,}")


#: Every key given to a Relay in this process: `redact` removes them from any text, whichever
#: relay's error it is, even when they are not shaped like keys.
_KNOWN_SECRETS: set[str] = set()


def remember_secret(secret: str) -> None:
    """Have `redact` remove this key from every text from now on (called for each key a Relay is given)."""
    if len(secret) >= 4:
        _KNOWN_SECRETS.add(secret)


#: Names of headers and environment variables whose values are credentials.
_SECRET_NAME = re.compile(r"auth|key|token|secret|password|passwd|cookie|credential", re.IGNORECASE)


def remember_secrets(values: Mapping[str, str]) -> None:
    """Remember the values of `values` (headers, environment variables) whose names say they are credentials.

    A value like "Bearer abc" is remembered whole and by its last word, the token itself.
    """
    for name, value in values.items():
        if _SECRET_NAME.search(name):
            remember_secret(value)
            remember_secret(value.split()[-1] if value.split() else value)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove every given secret, and anything shaped like an API key, from `text`.

    Relays sometimes echo the key they rejected ("Incorrect API key provided: sk-..."); the error
    must still be safe to print, log and save in a notebook.
    """
    for secret in (*secrets, *_KNOWN_SECRETS):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return _KEYLIKE.sub(lambda m: (m.group(1) or m.group(2)) + "...[redacted]", text)


# --------------------------------------------------------------------------------------------------
# Mapping SDK exceptions


_BY_STATUS: dict[int, type[RelayError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientBalanceError,
    403: AuthenticationError,
    404: ModelNotFoundError,
    408: RelayTimeoutError,
    429: RateLimitError,
}

# Error `type`s that arrive without an HTTP status: Anthropic's mid-stream `event: error`
# (the SDK reports status 200), OpenAI's in-stream `{"error": ...}` chunk.
_BY_TYPE: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "permission_error": 403,
    "billing_error": 402,
    "insufficient_balance": 402,
    "not_found_error": 404,
    "model_not_found": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "api_error": 500,
    "server_error": 500,
    "overloaded_error": 529,
    "timeout_error": 504,
}

_AUTH_MARKERS = ("API_KEY_INVALID", "API key not valid", "UNAUTHENTICATED", "PERMISSION_DENIED", "invalid_api_key")


def error_from_status(
    status: int | None,
    body: Any,
    *,
    dialect: str | None = None,
    model: str | None = None,
    secrets: Iterable[str | None] = (),
    retry_after: float | None = None,
) -> RelayError:
    """Build the agentkit error for an HTTP status and the relay's error body (any vendor's shape).

    Status 200 means an error inside a 200 answer (a stream's error event or chunk): its `type` or
    `code` picks the class as the matching HTTP status would; without either it is an UpstreamError.
    """
    message, code, kind = _parse_body(body)
    return _relay_error(status, message or f"HTTP {status}", code, kind, body, dialect=dialect, model=model,
                        secrets=secrets, retry_after=retry_after)


def error_from_event(
    data: str | None,
    *,
    dialect: str | None = None,
    model: str | None = None,
    secrets: Iterable[str | None] = (),
) -> RelayError:
    """The agentkit error for an `error` event inside a 200 stream, from the event's data as sent.

    The relay's `error.message` is the message, verbatim (secrets redacted); `error.type` (or
    `code`) picks the class as for an HTTP error (`overloaded_error` and `api_error` are an
    UpstreamError, `rate_limit_error` a RateLimitError, ...) and is the `.code`; the status is the
    stream's own 200. Data that is not JSON, or holds no message, is quoted whole as the message;
    with no type to say otherwise, the error is an UpstreamError.
    """
    raw = (data or "").strip()
    try:
        body: Any = json.loads(raw)
    except ValueError:
        body = raw
    message, code, kind = _parse_body(body) if isinstance(body, dict) else ("", None, None)
    if not message.strip():
        message = raw[:2000] or "The stream sent an `error` event with no data"
    return _relay_error(200, message, code, kind, body, dialect=dialect, model=model, secrets=secrets)


def _relay_error(
    status: int | None,
    message: str,
    code: str | None,
    kind: str | None,
    body: Any,
    *,
    dialect: str | None,
    model: str | None,
    secrets: Iterable[str | None],
    retry_after: float | None = None,
) -> RelayError:
    """The error class the status, code, type and words decide, holding the redacted message.

    The status picks a class; the relay's words (and code) win where they say something else: a
    401/403 (or Anthropic's 400) saying the balance or quota is used up is an
    InsufficientBalanceError, a 400 saying the model is unknown (LiteLLM's "Invalid model name
    passed in model=...") or a 503 "no available channel for model" (new-api, one-api) is a
    ModelNotFoundError, a 403 saying the key may not use the model is an AuthenticationError, a 500
    from a gateway saying it cannot serve this API for the provider it routes to (Portkey's
    "messages is not supported by openai") is a BadRequestError: it would fail again, so not retried.
    """
    effective = status
    if status == 200 or (status is None and (kind or code)):
        effective = _BY_TYPE.get(kind or "", _BY_TYPE.get(code or "", 500))
    words = f"{message} {code or ''} {kind or ''}"
    advice: str | None = None
    retry_now = False
    cls: type[RelayError]
    if effective is None:
        cls = RelayConnectionError
    elif effective == 429 and (
        "insufficient_quota" in (code, kind)
        or ("rate_limit_exceeded" not in (code, kind) and retry_after is None and _spent_quota(message, body))
    ):
        cls = QuotaExceededError
    elif effective in (400, 401, 402, 403) and _BALANCE.search(words):
        cls = InsufficientBalanceError
    elif effective in (400, 401, 403) and _MODEL_FORBIDDEN.search(words):
        cls = AuthenticationError
        advice = ("This key may not use this model: pick a model it may use (`relay.models()` lists what the "
                  "relay serves) or allow the model for the key in the relay's console.")
    elif (effective in (400, 404) or effective >= 500) and (
        _UNKNOWN_MODEL.search(message) or "model_not_found" in (code, kind)
    ):
        cls = ModelNotFoundError
        if effective >= 500:  # "no available channel for this model": may come back, so retried first
            retry_now = True
            advice = ("The relay has no channel serving this model for your key's group right now: check the "
                      "name (`relay.models()` lists what the relay serves), retry later, or ask the relay's operator.")
    elif effective in (400, 401, 403) and ("no_db_connection" in (code, kind)):
        cls = AuthenticationError
        advice = ("The gateway cannot look this key up (it has no key database, so it accepts only its master "
                  "key): check the key you passed (`api_key=` or AGENTKIT_API_KEY).")
    elif effective == 400 and any(m in f"{code} {kind} {json.dumps(body, default=str)}" for m in _AUTH_MARKERS):
        cls = AuthenticationError
    elif effective >= 400 and _NOT_ROUTED.search(message):
        cls = BadRequestError
        advice = ("The gateway cannot serve this API for the provider it routes this model to: reach the model "
                  "through the door of its own format (`openai:<model>` for Chat Completions), or route the "
                  "model to another provider in the gateway's configuration.")
    elif effective >= 500:
        cls = UpstreamError
    else:
        cls = _BY_STATUS.get(effective, BadRequestError)
    if cls is AuthenticationError and advice is None:
        if _KEY_DEAD.search(words) and _KEY_WORD.search(words):
            advice = ("The relay says this key has expired or was disabled: renew it or create a new one in the "
                      "relay's console, then pass it as `api_key=` or AGENTKIT_API_KEY.")
        elif _VENDOR_SITE.search(message):
            advice = ("Check your relay API key (AGENTKIT_API_KEY or `api_key=`); if it is right, the words are the "
                      "vendor's, passed on by the relay: the relay's own key for that vendor failed, so tell the "
                      "relay's operator.")
    error = cls(
        redact(message, secrets),
        status=status,
        dialect=dialect,
        model=model,
        code=code or kind,
        retry_after=retry_after if cls is RateLimitError or retry_after else None,
        advice=advice,
    )
    if retry_now:
        error.retryable = True
    return error


#: Words saying the money or the quota behind the key is used up (English and Chinese relay software).
_BALANCE = re.compile(
    r"insufficient[_ ](?:user[_ ])?(?:quota|balance|funds|credits?)|pre_consume_token_quota_failed"
    r"|quota (?:is )?(?:not enough|used up|exhausted|exceeded)|quota exhausted|user quota is not enough"
    r"|credit balance is too low|out of credits|balance (?:is )?(?:insufficient|not enough|too low|exhausted)"
    r"|budget (?:has been )?exceeded|exceeded your current quota"
    r"|额度(?:已)?(?:用尽|用完|耗尽|不足)|余额不足|欠费|已透支",
    re.I,
)
#: Words saying the key is valid but may not use this model.
_MODEL_FORBIDDEN = re.compile(
    r"no access to model|not allowed to access model|key not allowed to access|无权(?:使用|访问)模型"
    r"|has no access to any models|无权访问任何模型",
    re.I,
)
#: Words saying the relay does not know the model (or has no channel for it).
_UNKNOWN_MODEL = re.compile(
    r"invalid model name|model[_ ]not[_ ]found|the model [`'\"]?\S+?[`'\"]? does not exist|unknown model"
    r"|no such model|model \S+ (?:is )?not found|no available channels? for model|no channel for model"
    r"|模型不存在|无可用渠道|可用渠道失败",
    re.I,
)
#: A gateway saying it has no translation of this API for the provider it routes to (Portkey's
#: "messages is not supported by openai", "createModelResponse is not supported by anthropic").
_NOT_ROUTED = re.compile(
    r"^\s*(?:messages|chatComplete|complete|createModelResponse|embed) is not supported by \S+\s*$")
#: Anthropic's own words for a model it does not serve (`not_found_error`), as a relay may pass them on.
_ANTHROPIC_NO_MODEL = re.compile(r"^(?:\w+ error: )?model: \S+$")
#: Words saying the key expired or was disabled.
_KEY_DEAD = re.compile(
    r"expired|disabled|banned|revoked|blocked|已过期|已被禁用|已被封禁|状态不可用|已禁用", re.I
)
_KEY_WORD = re.compile(r"key|token|令牌|用户|user|account", re.I)
#: A vendor's own console named in a message (the relay passed on the vendor's answer).
_VENDOR_SITE = re.compile(r"platform\.openai\.com|console\.anthropic\.com|aistudio\.google\.com", re.I)


_SPENT = re.compile(
    r"exceeded your current quota|insufficient[_ ](?:user[_ ])?quota|quota (?:is )?(?:used up|exhausted|not enough)"
    r"|额度(?:已)?(?:用尽|用完|耗尽|不足)|余额不足",
    re.I,
)
_PER_WINDOW = re.compile(r"per[ _-]?(?:minute|second|hour)|PerMinute|PerSecond|retry in", re.I)


def says_model_unknown(body: Any) -> bool:
    """Whether an error body (a 404's, say) is about the model, not the place: the door is there.

    A door's 404 for an unknown model and a web server's 404 for an unknown path look alike but for
    the words: "The model `x` does not exist", `model_not_found`, Anthropic's `not_found_error`
    "model: x" (Portkey passes it on as "anthropic error: model: x").
    """
    message, code, kind = _parse_body(body)
    return bool(_UNKNOWN_MODEL.search(message) or "model_not_found" in (code, kind)
                or ("not_found_error" in (code, kind) and _ANTHROPIC_NO_MODEL.search(message.strip())))


def _spent_quota(message: str, body: Any) -> bool:
    """A 429 whose words say the quota is spent (not a per-minute rate), in any door's body shape.

    The Anthropic and Gemini error bodies have no `insufficient_quota` code, so relays say it in the
    message (OpenAI's own wording: "You exceeded your current quota"). Gemini uses the same words
    for per-minute limits too, but then names the window (its `QuotaFailure` details) or says when to
    retry: those stay retryable, as does a 429 with `Retry-After` or coded `rate_limit_exceeded`.
    """
    if not _SPENT.search(message):
        return False
    return not _PER_WINDOW.search(message if isinstance(body, (bytes, str)) else json.dumps(body, default=str))


def _parse_body(body: Any) -> tuple[str, str | None, str | None]:
    """Return (message, code, type) from a relay's error body, whatever its shape.

    Shapes met in the field: OpenAI `{"error": {"message", "type", "code"}}` (Anthropic's adds a
    top-level `"type": "error"`, Gemini's has `status` and `details`); FastAPI's (LiteLLM's)
    `{"detail": ...}`, a string, an object or a list of validation errors; Fastify's
    `{"message", "error", "statusCode"}`; `{"error": "text"}`; `{"code", "msg"}`; plain text; and
    HTML pages from a proxy or a firewall in front of the relay (their title and text are kept).
    """
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return _text_message(body), None, None
    if isinstance(body, list) and len(body) == 1:  # Gemini sometimes wraps the error in a list
        body = body[0]
    if not isinstance(body, dict):
        return ("" if body is None else _text_message(str(body))), None, None
    inner = body.get("error", body)
    if isinstance(inner, str):
        # Fastify: {"statusCode", "error": "Unauthorized", "message": "..."}; else {"error": "text"}.
        if isinstance(body.get("message"), str) and body["message"].strip():
            return body["message"], _code(body.get("code")), inner
        return inner, _code(body.get("code")), None
    if "detail" in body and "error" not in body:
        return _detail_message(body["detail"]), _code(body.get("code")), body.get("type") or None
    if not isinstance(inner, dict):
        return json.dumps(body, default=str)[:2000], None, None
    message = inner.get("message") or inner.get("msg") or body.get("message") or body.get("msg") or ""
    if not isinstance(message, str):
        message = json.dumps(message, ensure_ascii=False, default=str)
    if inner is body and body.get("status") == "failure":
        # Portkey's own errors: {"status": "failure", "message", "errors"?: ["path: ..., message: ..."]}.
        details = [str(e) for e in body.get("errors") or () if str(e).strip()]
        return (f"{message}: {'; '.join(details)}" if details else message), _code(body.get("code")), None
    code = _code(inner.get("code"))
    kind = inner.get("type") or inner.get("status")
    if code is None and isinstance(inner.get("status"), str):  # Gemini: code is the HTTP status, status the enum
        code = inner["status"]
        kind = inner.get("type")
    for detail in inner.get("details") or ():  # Gemini ErrorInfo: the reason says API_KEY_INVALID
        if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
            code = detail["reason"]
    if not message:
        message = json.dumps(body, ensure_ascii=False, default=str)[:2000]
    return str(message), code, (str(kind) if kind else None)


def _code(value: Any) -> str | None:
    """A relay's error code, or None when it is empty or only repeats the HTTP status (`"400"`, 400)."""
    if value is None or isinstance(value, (bool, int, float)):
        return None
    text = str(value).strip()
    return None if not text or text.isdigit() else text


def _detail_message(detail: Any) -> str:
    """The message of FastAPI's `detail`: a string, an object with a message, or validation errors."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict):
        for key in ("message", "error", "msg", "detail"):
            value = detail.get(key)
            if isinstance(value, str) and value.strip():
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict) and "msg" in item:
                where = ".".join(str(p) for p in item.get("loc") or ())
                parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
            else:
                parts.append(str(item))
        if parts:
            return "; ".join(parts)
    return json.dumps(detail, ensure_ascii=False, default=str)[:2000]


_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)


def _text_message(text: str) -> str:
    """A plain-text body as it came (trimmed); an HTML page as its title and visible text."""
    text = text.strip()
    if not re.match(r"(?:<!doctype html|<html|<head|<body|<\?xml)", text[:200], re.I):
        return text[:2000]
    import html

    title_match = _TITLE.search(text)
    title = html.unescape(" ".join(title_match.group(1).split())) if title_match else ""
    visible = html.unescape(" ".join(_TAG.sub(" ", _SCRIPT.sub(" ", _TITLE.sub(" ", text))).split()))
    if title and visible.startswith(title):
        visible = visible[len(title):].strip()
    words = " - ".join(part for part in (title, visible[:300]) if part)
    return f"an HTML page: {words}" if words else "an HTML page with no text"


def _retry_after(response: Any) -> float | None:
    """Seconds from `retry-after-ms`, or `Retry-After` as seconds or as an HTTP date (RFC 9110)."""
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            import email.utils
            import time

            when = email.utils.parsedate_to_datetime(str(value))
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def from_sdk_error(
    exc: BaseException,
    *,
    dialect: str | None = None,
    model: str | None = None,
    secrets: Iterable[str | None] = (),
) -> AgentkitError | None:
    """Translate an openai/anthropic/google-genai/httpx2 exception into an agentkit error.

    Returns None for exceptions that are not relay failures (programming errors stay themselves).
    A :class:`StreamErrorEvent` becomes the error its data says (:func:`error_from_event`).

    An SDK exception is recognised by its classes: the library that defines each (from
    `__module__`) and their public names (`APIStatusError`, `TimeoutException`, ...), the names
    users catch. No SDK module is imported or read here: vendor SDKs are imported only in
    `agentkit.dialects`, and another thread may be in the middle of an SDK's first import, when the
    module is already in `sys.modules` but half built (reading it then raised AttributeError).
    """
    if isinstance(exc, AgentkitError):
        return exc
    secrets = list(secrets)
    where: dict[str, Any] = {"dialect": dialect, "model": model, "secrets": secrets}
    if isinstance(exc, StreamErrorEvent):
        return error_from_event(exc.data, **where)
    classes = _classes_by_library(exc)
    error: Any = exc  # an SDK exception: its public attributes are read below

    for sdk in ("openai", "anthropic"):
        names = classes.get(sdk, frozenset())
        if "APITimeoutError" in names:
            return RelayTimeoutError(_exc_text(exc, secrets), dialect=dialect, model=model)
        if "APIConnectionError" in names:
            return RelayConnectionError(_exc_text(exc, secrets), dialect=dialect, model=model)
        if "APIStatusError" in names:
            response = getattr(exc, "response", None)
            raw = _raw_body(response)
            return error_from_status(error.status_code, error.body if raw is None else raw,
                                     retry_after=_retry_after(response), **where)
        if "APIError" in names:  # an error chunk inside a 200 stream
            body = error.body if error.body is not None else {"error": {"message": error.message}}
            return error_from_status(200, body, **where)

    names = classes.get("google.genai", frozenset())
    if "APIError" in names:
        response = getattr(exc, "response", None)
        raw = _raw_body(response)
        details: Any = raw if raw is not None else error.details or {
            "error": {"message": error.message, "status": error.status}}
        return error_from_status(error.code, details, retry_after=_retry_after(response), **where)
    if "UnknownApiResponseError" in names:
        return UpstreamError(
            "The stream could not be parsed: " + _exc_text(exc, secrets),
            status=200,
            dialect=dialect,
            model=model,
            code="malformed_stream",
        )

    for http in ("httpx2", "httpx"):
        names = classes.get(http, frozenset())
        if "TimeoutException" in names:
            return RelayTimeoutError(_exc_text(exc, secrets), dialect=dialect, model=model)
        if "TransportError" in names or "StreamError" in names:
            return RelayConnectionError(_exc_text(exc, secrets), dialect=dialect, model=model)
    return None


def _raw_body(response: Any) -> str | None:
    """The text of an SDK exception's HTTP answer (`exc.response`, public on the three SDKs' status
    errors), or None when it was not read or is empty.

    Why the raw text: the SDKs' parsed bodies drop what they do not expect (the OpenAI SDK keeps only
    `error`, so a `{"detail": ...}` or Fastify `{"message", ...}` answer loses its message).
    """
    if response is None:
        return None
    try:
        text = response.text
    except Exception:  # a stream never read, a closed response, a response object of another library
        return None
    return text if isinstance(text, str) and text.strip() else None


def _classes_by_library(exc: BaseException) -> dict[str, frozenset[str]]:
    """The names of the classes `exc` is an instance of, by the library defining them (`openai`,
    `httpx2`, ... and `google.genai`)."""
    found: dict[str, set[str]] = {}
    for cls in type(exc).__mro__:
        module = getattr(cls, "__module__", None) or ""
        genai = module == "google.genai" or module.startswith("google.genai.")
        found.setdefault("google.genai" if genai else module.partition(".")[0], set()).add(cls.__name__)
    return {library: frozenset(names) for library, names in found.items()}


def _exc_text(exc: BaseException, secrets: Iterable[str | None]) -> str:
    text = str(exc) or type(exc).__name__
    return redact(f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text, secrets)
