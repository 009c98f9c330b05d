"""The fault matrix: each fault, how to inject it on the emulator, and the outcome agentkit must reach.

One table serves two readers: `test_matrix.py` asserts every row in every dialect, streaming and
not, and `python -m tests.faults.harness` prints the observed outcomes as the markdown table in
docs/faults.md. A row either *recovers* (the run returns a reply) or ends with a typed error; in both
cases the history must stay valid and the next call must work.

The relay the matrix uses retries fast (`backoff=(0.01, 0.05)`, `max_retries=2`), so a row costs
milliseconds, not the seconds a real backoff takes.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import agentkit as ak
from agentkit.emulator import Emulator, Fault, Turn
from agentkit.events import Retrying, TextDelta
from agentkit.messages import Message, TextPart, ToolCallPart, ToolResultPart

#: One model per dialect: the three doors, with OpenAI's two APIs.
MODELS: tuple[str, ...] = ("gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro")
#: A misspelling of each, for "model not found" (the relay should suggest the right one).
TYPOS: dict[str, str] = {
    "gpt-4o": "gpt-4oo",
    "responses:gpt-4o": "responses:gpt-4oo",
    "claude-sonnet-4-5": "claude-sonnet-4-55",
    "gemini-2.5-pro": "gemini-2.5-proo",
}
#: The door each model goes through (for door-filtered faults).
DOORS: dict[str, str] = {
    "gpt-4o": "openai",
    "responses:gpt-4o": "responses",
    "claude-sonnet-4-5": "anthropic",
    "gemini-2.5-pro": "gemini",
}
KEY = "sk-faults-7f3a9c1e5b2d4f6a8c0e"
MAX_RETRIES = 2
FAST = {"max_retries": MAX_RETRIES, "backoff": (0.01, 0.05)}
PROMPT = "Tell me about the sea in a few sentences."
WEATHER_PROMPT = "What is the weather in Paris?"

RelayKind = Literal["default", "short_timeout", "refused", "refused_with_backup", "wrong_key"]


# --------------------------------------------------------------------------------------------- tools


@ak.tool
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
        unit: Temperature unit.
    """
    return {"city": city, "temperature": 21, "unit": unit}


@ak.tool
def explode(n: int) -> int:
    """A tool that raises.

    Args:
        n: Any number.
    """
    raise ValueError(f"explode cannot handle {n}")


@ak.tool(timeout=0.2)
async def hang_async(x: int) -> str:
    """An async tool that hangs past its timeout.

    Args:
        x: Any number.
    """
    await asyncio.sleep(30)
    return "never"


@ak.tool(timeout=0.2)
def hang_sync(x: int) -> str:
    """A sync tool that hangs past its timeout (its thread ends on its own a little later).

    Args:
        x: Any number.
    """
    time.sleep(0.6)
    return "too late"


TOOLS = [get_weather, explode, hang_async, hang_sync]


# --------------------------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One row of the matrix.

    Attributes:
        name: The fault, as the docs table names it.
        expected: The outcome in words (the docs table's "expected" column).
        faults: `(fault, count)` pairs queued before the run; count None = every request.
        script: Scripted turns queued before the run.
        error: The agentkit error class the run must end with; None: the run must recover.
        requests: Model requests the emulator must see for the run (None: not checked).
        modes: Which of streaming / non-streaming the row applies to.
        relay: Which relay the run goes through (see `Relays`).
        prompt: The prompt.
        typo: Use the misspelt model name (`TYPOS`).
        max_turns: The agent's `max_turns`.
        check: Further assertions on the outcome (raise AssertionError with a reason).
    """

    name: str
    expected: str
    faults: tuple[tuple[Fault, int | None], ...] = ()
    script: tuple[Turn | str, ...] = ()
    error: type[Exception] | None = None
    requests: int | None = None
    modes: tuple[bool, ...] = (False, True)
    relay: RelayKind = "default"
    prompt: str = PROMPT
    typo: bool = False
    max_turns: int = 10
    check: Callable[[Outcome], None] | None = None
    door_only: bool = False
    """Apply the faults only to the model's own door (so `GET /v1/models` is spared)."""


@dataclass
class Outcome:
    """What one run of a case did."""

    case: Case
    model: str
    streaming: bool
    reply: ak.Reply | None = None
    error: BaseException | None = None
    requests: int = 0
    retries: int = 0
    shown: bool = False
    elapsed: float = 0.0
    history: list[Message] = field(default_factory=list)
    history_before: list[Message] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.case.name} / {self.model} / {'stream' if self.streaming else 'json'}"

    def summary(self) -> str:
        """A short description, the same for equal outcomes in different dialects."""
        if self.error is None:
            return "recovered" if self.retries else "answered"
        return type(self.error).__name__


def history_problems(history: Sequence[Message]) -> list[str]:
    """Why a history would be refused by a vendor API (or by the agent's next run); [] when valid.

    Every tool call has exactly one result, in the tool message(s) right after the assistant
    message that made it; no assistant message is empty; no prompt is left unanswered at the end.
    """
    problems: list[str] = []
    open_calls: dict[str, str] = {}
    seen_results: set[str] = set()
    for index, message in enumerate(history):
        if message.role == "assistant":
            if open_calls:
                problems.append(f"message {index}: calls {sorted(open_calls)} have no result before it")
                open_calls.clear()
            if not message.parts:
                problems.append(f"message {index}: an empty assistant message")
            for part in message.parts:
                if isinstance(part, ToolCallPart):
                    open_calls[part.id] = part.name
        elif message.role == "tool":
            for part in message.parts:
                if isinstance(part, ToolResultPart):
                    if part.call_id in seen_results:
                        problems.append(f"message {index}: a second result for {part.call_id!r}")
                    elif part.call_id not in open_calls:
                        problems.append(f"message {index}: a result for no open call {part.call_id!r}")
                    seen_results.add(part.call_id)
                    open_calls.pop(part.call_id, None)
        elif message.role == "user" and open_calls:
            problems.append(f"message {index}: a user message while calls {sorted(open_calls)} are open")
    if open_calls:
        problems.append(f"the history ends with calls {sorted(open_calls)} that have no result")
    if history and history[-1].role == "user":
        problems.append("the history ends with a prompt the model never answered")
    return problems


# --------------------------------------------------------------------------------------------- relays


def closed_port_url() -> str:
    """A loopback URL nobody listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class Relays:
    """The relays the matrix runs through, all in front of one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        url = emulator.url
        self.by_kind: dict[str, ak.Relay] = {
            "default": ak.Relay(url, api_key=KEY, **FAST),  # type: ignore[arg-type]
            "short_timeout": ak.Relay(url, api_key=KEY, timeout=0.3, **FAST),  # type: ignore[arg-type]
            "refused": ak.Relay(closed_port_url(), api_key=KEY, **FAST),  # type: ignore[arg-type]
            "refused_with_backup": ak.Relay(
                closed_port_url(), api_key=KEY, backup_urls=[url], **FAST  # type: ignore[arg-type]
            ),
            "wrong_key": ak.Relay(url, api_key="sk-wrong-key-0000000000000000", **FAST),  # type: ignore[arg-type]
        }

    def __getitem__(self, kind: str) -> ak.Relay:
        return self.by_kind[kind]


@contextmanager
def emulator_relays() -> Iterator[Relays]:
    with Emulator(api_key=KEY) as emulator:
        yield Relays(emulator)


# --------------------------------------------------------------------------------------------- running


def _model_requests(emulator: Emulator, at_least: int | None = None) -> list[Any]:
    """The model requests the emulator logged. `at_least`: first wait (up to 2 s) for that many: an
    attempt the client gave up on (a read timeout) may still be waiting, on a busy machine, for the
    emulator's thread to read and log it after the run has already ended."""
    deadline = time.monotonic() + 2
    while True:
        requests = [r for r in emulator.log if r.door not in ("models", "unknown")]
        if at_least is None or len(requests) >= at_least or time.monotonic() > deadline:
            return requests
        time.sleep(0.01)


def run_case(relays: Relays, case: Case, model: str, streaming: bool) -> Outcome:
    """Run one case in one dialect: a warm-up exchange, the faulty run, then a check that the next call works."""
    emulator = relays.emulator
    emulator.reset()
    name = TYPOS[model] if case.typo else model
    agent = ak.Agent(name, tools=TOOLS, relay=relays[case.relay], display=False, max_turns=case.max_turns)
    # An earlier exchange, which a failed run must leave as it is.
    agent.history = [Message.user("Hello"), Message("assistant", [TextPart("Hi! How can I help?")])]
    outcome = Outcome(case, model, streaming, history_before=list(agent.history))
    for fault, count in case.faults:
        emulator.fault(fault, count=count, door=DOORS[model] if case.door_only else None)
    if case.script:
        emulator.script(*case.script)
    started = time.perf_counter()
    try:
        if streaming:
            stream = agent.stream(case.prompt)
            for event in stream:
                if isinstance(event, Retrying):
                    outcome.retries += 1
                elif isinstance(event, TextDelta):
                    outcome.shown = True
            outcome.reply = stream.reply
        else:
            events: list[Any] = []
            try:
                outcome.reply = _run_collecting(agent, case.prompt, events)
            finally:
                outcome.retries = sum(isinstance(e, Retrying) for e in events)
    except Exception as exc:
        outcome.error = exc
    outcome.elapsed = time.perf_counter() - started
    requests = _model_requests(emulator, at_least=case.requests)
    outcome.requests = len(requests)
    outcome.bodies = [r.body for r in requests]
    outcome.history = list(agent.history)
    return outcome


def _run_collecting(agent: ak.Agent, prompt: str, events: list[Any]) -> ak.Reply:
    """`agent.arun(prompt)`, keeping its events (non-streaming: the model call is not streamed)."""

    async def main() -> ak.Reply:
        reply = None
        async for event in agent._events(prompt, (), None, {}, streaming=False):
            events.append(event)
            if isinstance(event, ak.events.RunFinished):
                reply = event.reply
        assert reply is not None
        return reply

    return asyncio.run(main())


def next_call_works(relays: Relays, outcome: Outcome) -> str | None:
    """After the faulty run, a plain call on the same agent history must work; None or why not."""
    relays.emulator.reset()
    agent = ak.Agent(outcome.model, tools=TOOLS, relay=relays["default"], display=False)
    agent.history = list(outcome.history)
    try:
        reply = agent("Thanks. Say something short.")
    except Exception as exc:
        return f"the next call failed: {type(exc).__name__}: {exc}"
    if not reply.text:
        return "the next call answered with no text"
    return None


def verify(relays: Relays, outcome: Outcome) -> list[str]:
    """Every way `outcome` falls short of its case; [] when it is as expected."""
    case = outcome.case
    problems: list[str] = []
    if case.error is None:
        if outcome.error is not None:
            problems.append(f"expected a reply, got {type(outcome.error).__name__}: {outcome.error}")
    elif not isinstance(outcome.error, case.error):
        got = "a reply" if outcome.error is None else f"{type(outcome.error).__name__}: {outcome.error}"
        problems.append(f"expected {case.error.__name__}, got {got}")
    if outcome.error is not None and not isinstance(outcome.error, ak.AgentkitError):
        problems.append(f"an untyped error: {type(outcome.error).__name__}")
    if outcome.error is not None and KEY in f"{outcome.error}{outcome.error!r}":
        problems.append("the error shows the API key")
    if case.requests is not None and outcome.requests != case.requests:
        problems.append(f"expected {case.requests} model requests, the relay saw {outcome.requests}")
    problems += history_problems(outcome.history)
    if outcome.error is not None and outcome.history[: len(outcome.history_before)] != outcome.history_before:
        problems.append("the failed run changed the history that was there before it")
    if case.check is not None:
        try:
            case.check(outcome)
        except AssertionError as exc:
            problems.append(str(exc) or "the case's own check failed")
    if not problems and (why := next_call_works(relays, outcome)):
        problems.append(why)
    return problems


# --------------------------------------------------------------------------------------------- checks


def _error_says(*words: str) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        text = str(outcome.error)
        for word in words:
            assert word.lower() in text.lower(), f"the error does not say {word!r}: {text}"

    return check


def _waited_for_retry_after(seconds: float) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        assert outcome.elapsed >= seconds, f"the run took {outcome.elapsed:.2f} s; Retry-After asked {seconds} s"

    return check


def _suggests(outcome: Outcome) -> None:
    error = outcome.error
    assert isinstance(error, ak.ModelNotFoundError), error
    right = outcome.model.split(":")[-1]
    assert right in error.suggestions, f"suggestions {error.suggestions!r} lack {right!r}"
    assert f"Did you mean {right!r}" in str(error), str(error)


VERBATIM = "temperature must be in (0.0, 1.0] on this relay"


def _verbatim(outcome: Outcome) -> None:
    error = outcome.error
    assert isinstance(error, ak.BadRequestError), error
    assert error.message == VERBATIM and VERBATIM in str(error), str(error)


def _tool_error(name: str, *words: str) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        assert outcome.reply is not None
        calls = [c for c in outcome.reply.tool_calls if c.name == name]
        assert calls, f"no call of {name!r} in {outcome.reply.tool_calls!r}"
        error = calls[0].error or ""
        for word in words:
            assert word.lower() in error.lower(), f"the tool error does not say {word!r}: {error!r}"
        assert error in str(outcome.bodies[-1]) or error[:60] in str(outcome.bodies[-1]), (
            "the error result was not sent back to the model"
        )

    return check


def _partial_not_kept(outcome: Outcome) -> None:
    assert outcome.shown, "no text was shown before the drop (the case does not test what it says)"
    assert outcome.history == outcome.history_before, "the partial answer was kept in the history"
    _error_says("already been shown")(outcome)


def _max_turns(outcome: Outcome) -> None:
    assert isinstance(outcome.error, ak.MaxTurnsExceeded) and outcome.error.max_turns == 2


ONCE = 1
ALWAYS = None
ATTEMPTS = MAX_RETRIES + 1
def _tool_turn(*tool_calls: tuple[str, Any]) -> Turn:
    return Turn(tool_calls=list(tool_calls))


CASES: tuple[Case, ...] = (
    # ---- relay failures ------------------------------------------------------------------------
    Case("429 with Retry-After (0.3 s), once", "waits the Retry-After, retries, answers",
         faults=((Fault.http_error(429, retry_after=0.3), ONCE),), requests=2,
         check=_waited_for_retry_after(0.3)),
    Case("429 without Retry-After, once", "backs off (exponential, jittered), retries, answers",
         faults=((Fault.http_error(429), ONCE),), requests=2),
    Case("429 on every attempt", f"`RateLimitError` after {ATTEMPTS} attempts",
         faults=((Fault.http_error(429, retry_after=0), ALWAYS),), error=ak.RateLimitError, requests=ATTEMPTS,
         check=_error_says("retry", f"failed {ATTEMPTS} times")),
    Case("429 insufficient_quota", "`QuotaExceededError` at once (never retried)",
         faults=((Fault.http_error(429, code="insufficient_quota", message="You exceeded your current quota."),
                  ALWAYS),),
         error=ak.QuotaExceededError, requests=1, check=_error_says("quota", "top up")),
    Case("500, once", "retries, answers", faults=((Fault.http_error(500), ONCE),), requests=2),
    Case("502, once", "retries, answers", faults=((Fault.http_error(502), ONCE),), requests=2),
    Case("503, once", "retries, answers", faults=((Fault.http_error(503), ONCE),), requests=2),
    Case("500 on every attempt", f"`UpstreamError` (status 500) after {ATTEMPTS} attempts",
         faults=((Fault.http_error(500), ALWAYS),), error=ak.UpstreamError, requests=ATTEMPTS),
    Case("502 on every attempt", f"`UpstreamError` (status 502) after {ATTEMPTS} attempts",
         faults=((Fault.http_error(502), ALWAYS),), error=ak.UpstreamError, requests=ATTEMPTS),
    Case("503 on every attempt", f"`UpstreamError` (status 503) after {ATTEMPTS} attempts",
         faults=((Fault.http_error(503), ALWAYS),), error=ak.UpstreamError, requests=ATTEMPTS,
         check=_error_says("backup_urls")),
    Case("402 insufficient balance", "`InsufficientBalanceError` at once (never retried): top up",
         faults=((Fault.http_error(402), ALWAYS),), error=ak.InsufficientBalanceError, requests=1,
         check=_error_says("top up")),
    Case("401 from the relay", "`AuthenticationError` at once (never retried): check the key",
         faults=((Fault.http_error(401), ALWAYS),), error=ak.AuthenticationError, requests=1,
         check=_error_says("check your relay api key")),
    Case("wrong API key", "`AuthenticationError` at once, without the key in it",
         relay="wrong_key", error=ak.AuthenticationError, requests=1,
         check=_error_says("check your relay api key")),
    Case("404 model not found (typo)", "`ModelNotFoundError` at once, suggesting close names from `/v1/models`",
         faults=((Fault.http_error(404), ALWAYS),), door_only=True, typo=True, error=ak.ModelNotFoundError,
         requests=1, check=_suggests),
    Case("404 for a model the relay lists (door missing)", "`ModelNotFoundError` at once, saying the door "
         "(or the Responses API) is probably missing", faults=((Fault.http_error(404), ALWAYS),), door_only=True,
         error=ak.ModelNotFoundError, requests=1, check=_error_says("lists", "/v1/models")),
    Case("400 bad parameter", "`BadRequestError` at once, the relay's message verbatim",
         faults=((Fault.http_error(400, VERBATIM), ALWAYS),), error=ak.BadRequestError, requests=1,
         check=_verbatim),
    Case("connection refused, no backup", f"`RelayConnectionError` after {ATTEMPTS} attempts",
         relay="refused", error=ak.RelayConnectionError, requests=0,
         check=lambda o: (_error_says("backup_urls")(o), _assert(o.retries == MAX_RETRIES, "not retried"))),
    Case("connection refused, backup host configured", "fails over to the backup host, answers",
         relay="refused_with_backup", requests=1),
    Case("connection dropped before the response, once", "retries, answers",
         faults=((Fault.drop(), ONCE),), requests=2),
    Case("connection dropped on every attempt", f"`RelayConnectionError` after {ATTEMPTS} attempts",
         faults=((Fault.drop(), ALWAYS),), error=ak.RelayConnectionError, requests=ATTEMPTS),
    Case("dropped mid-stream before any text, once", "retries (nothing was shown), answers",
         faults=((Fault.drop_mid_stream(after_events=0), ONCE),), requests=2),
    Case("dropped mid-stream after text was shown", "`RelayConnectionError`, not retried; partial text dropped, "
         "history as before", faults=((Fault.drop_mid_stream(after_events=8), ALWAYS),), modes=(True,),
         error=ak.RelayConnectionError, requests=1, check=_partial_not_kept),
    Case("JSON body cut off mid-way, once", "retries, answers",
         faults=((Fault.drop_mid_stream(), ONCE),), modes=(False,), requests=2),
    Case("read timeout, once", "`timeout` hit, retries, answers", relay="short_timeout",
         faults=((Fault.delay(1.0), ONCE),), requests=2),
    Case("read timeout on every attempt", f"`RelayTimeoutError` after {ATTEMPTS} attempts", relay="short_timeout",
         faults=((Fault.delay(1.0), ALWAYS),), error=ak.RelayTimeoutError, requests=ATTEMPTS,
         check=_error_says("timeout=")),
    Case("malformed SSE / JSON, once", "retries, answers",
         faults=((Fault.malformed_sse(after_events=0), ONCE),), requests=2),
    Case("malformed SSE / JSON on every attempt", f"`UpstreamError` (malformed answer) after {ATTEMPTS} attempts",
         faults=((Fault.malformed_sse(after_events=0), ALWAYS),), error=ak.UpstreamError, requests=ATTEMPTS),
    Case("error event inside a 200 stream, once", "retries (nothing was shown), answers",
         faults=((Fault.stream_error("upstream overloaded", after_events=0), ONCE),), requests=2),
    Case("error event inside a 200 stream, every attempt", f"`UpstreamError` after {ATTEMPTS} attempts, "
         "the relay's message in it", faults=((Fault.stream_error("upstream overloaded", after_events=0), ALWAYS),),
         error=ak.UpstreamError, requests=ATTEMPTS, check=_error_says("upstream overloaded")),
    # ---- model mistakes --------------------------------------------------------------------------
    Case("tool arguments not valid JSON", "error result sent back to the model, run goes on",
         prompt=WEATHER_PROMPT, faults=((Fault.invalid_tool_args(), ONCE),), requests=2,
         check=lambda o: _assert(o.reply is not None and o.reply.tool_calls[0].error, "no tool error")),
    Case("tool arguments failing the schema", "error result naming the argument, run goes on",
         script=(_tool_turn(("get_weather", {"city": "Paris", "unit": "kelvin"})), "ok"), requests=2,
         check=_tool_error("get_weather", "unit", "kelvin")),
    Case("unknown tool name", "error result listing the tools, run goes on",
         script=(_tool_turn(("get_wether", {"city": "Paris"})), "ok"), requests=2,
         check=_tool_error("get_wether", "no tool named", "`get_weather`")),
    Case("tool raising", "error result with the exception, run goes on",
         script=(_tool_turn(("explode", {"n": 7})), "ok"), requests=2,
         check=_tool_error("explode", "ValueError", "explode cannot handle 7")),
    Case("async tool hanging past its timeout", "error result (timeout), the run does not wait",
         script=(_tool_turn(("hang_async", {"x": 1})), "ok"), requests=2,
         check=lambda o: (_tool_error("hang_async", "timeout")(o), _assert(o.elapsed < 5, "the run waited"))),
    Case("sync tool hanging past its timeout", "error result (timeout), the run does not wait",
         script=(_tool_turn(("hang_sync", {"x": 1})), "ok"), requests=2,
         check=lambda o: (_tool_error("hang_sync", "timeout")(o), _assert(o.elapsed < 5, "the run waited"))),
    Case("model calling tools forever", "`MaxTurnsExceeded` after `max_turns` requests, every call answered",
         script=tuple(_tool_turn(("get_weather", {"city": "Paris"})) for _ in range(3)), max_turns=2,
         error=ak.MaxTurnsExceeded, requests=2, check=_max_turns),
    Case("empty answer, once", "asks again, answers", script=("", "Here it is."), requests=2),
    Case("empty answer on every attempt", f"`EmptyAnswerError` after {ATTEMPTS} attempts",
         script=("", "", ""), error=ak.EmptyAnswerError, requests=ATTEMPTS),
)


def _assert(condition: Any, why: str) -> None:
    assert condition, why


def cases_for(streaming: bool) -> list[Case]:
    return [c for c in CASES if streaming in c.modes]


# --------------------------------------------------------------------------------------------- docs table


def observe() -> list[tuple[Case, str]]:
    """Run the whole matrix and describe what happened for each row (for docs/faults.md)."""
    rows: list[tuple[Case, str]] = []
    with emulator_relays() as relays:
        for case in CASES:
            outcomes = [run_case(relays, case, model, streaming) for streaming in case.modes for model in MODELS]
            failures = {o.label: verify(relays, o) for o in outcomes}
            failures = {k: v for k, v in failures.items() if v}
            kinds = sorted({o.summary() for o in outcomes})
            requests = sorted({o.requests for o in outcomes})
            runs = f"{len(outcomes)}/{len(outcomes)} runs" if not failures else (
                f"{len(outcomes) - len(failures)}/{len(outcomes)} runs")
            what = ", ".join(kinds)
            text = f"{what}; {'/'.join(map(str, requests))} request(s); history valid, next call works ({runs})"
            if failures:
                text += "; FAILED: " + "; ".join(f"{k}: {v[0]}" for k, v in failures.items())
            rows.append((case, text))
    return rows


def main() -> int:
    rows = observe()
    print("| fault | expected | observed (4 dialects, streaming and not) |")
    print("|---|---|---|")
    for case, observed in rows:
        modes = {(False, True): "", (True,): " (streaming)", (False,): " (non-streaming)"}[case.modes]
        print(f"| {case.name}{modes} | {case.expected} | {observed} |")
    return 1 if any("FAILED" in o for _, o in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
