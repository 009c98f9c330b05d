"""Fault injection: make the next matching request(s) fail the way real relays fail.

Why: retry logic, error mapping and stream handling can only be tested against failures, and real
relays fail in specific ways: an HTTP status with the vendor's error body (401, 402, 429 with
`Retry-After`, 5xx), a slow answer, a connection closed before any response, a stream that stops
half-way, a garbled SSE line, an error event inside a 200 stream, tool arguments that are not JSON,
and request fields a translating gateway silently drops because it does not map them.

Faults wait in a queue. Each request takes the first rule that matches its door, path and model and
still has uses left (`count`; None means every matching request). A rule with a `probability` below
1 strikes only that share of its matching requests, drawn from a seeded generator (load tests: "5 %
of requests get a 429").
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from agentkit._api import checked_class

__all__ = ["Fault", "FaultKind", "FaultQueue", "FaultRule"]

FaultKind = Literal[
    "http_error",
    "delay",
    "drop",
    "drop_mid_stream",
    "malformed_sse",
    "stream_error",
    "invalid_tool_args",
    "ignore_fields",
]
_KINDS: tuple[str, ...] = get_args(FaultKind)


@checked_class("ak.emulator.Fault", "fault")
@dataclass(frozen=True)
class Fault:
    """One injected failure.

    Attributes:
        kind: What goes wrong (see the constructors below).
        status: The HTTP status for "http_error", and the error status described by "stream_error".
        message: The error message; None uses the door's usual wording for the status.
        code: A machine-readable code for the body (OpenAI `code`, e.g. "insufficient_quota"; Gemini `status`).
        retry_after: Seconds sent in a `Retry-After` header ("http_error" only).
        seconds: A delay before the answer starts (any kind; the whole fault for "delay").
        after_events: For stream faults, how many events are sent before the fault strikes.
        fields: For "ignore_fields", the request fields the model never sees (dotted paths).
    """

    kind: FaultKind
    status: int = 500
    message: str | None = None
    code: str | None = None
    retry_after: float | None = None
    seconds: float = 0.0
    after_events: int = 1
    fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"Unknown fault kind {self.kind!r}; expected one of {', '.join(_KINDS)}.")
        if not 100 <= self.status <= 599:
            raise ValueError(
                f"A fault's status must be an HTTP status between 100 and 599, not {self.status}."
            )
        if self.seconds < 0:
            raise ValueError("A fault's delay (seconds) cannot be negative.")
        if self.after_events < 0:
            raise ValueError("A stream fault's after_events cannot be negative.")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("A fault's retry_after cannot be negative.")
        if (self.kind == "ignore_fields") != bool(self.fields):
            raise ValueError("`fields` names what an 'ignore_fields' fault drops, and only such a fault has them.")

    @classmethod
    def http_error(
        cls,
        status: int,
        message: str | None = None,
        *,
        code: str | None = None,
        retry_after: float | None = None,
        seconds: float = 0.0,
    ) -> Fault:
        """Answer with `status` and the door's native error body (e.g. 429 with `retry_after=1`)."""
        return cls(
            "http_error", status=status, message=message, code=code, retry_after=retry_after, seconds=seconds
        )

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Answer normally, but only after `seconds` (exercises client timeouts)."""
        return cls("delay", seconds=seconds)

    @classmethod
    def drop(cls, *, seconds: float = 0.0) -> Fault:
        """Close the connection without sending any HTTP response."""
        return cls("drop", seconds=seconds)

    @classmethod
    def drop_mid_stream(cls, after_events: int = 2) -> Fault:
        """Send `after_events` stream events (or part of a JSON body), then close the connection."""
        return cls("drop_mid_stream", after_events=after_events)

    @classmethod
    def malformed_sse(cls, after_events: int = 1) -> Fault:
        """Insert an event whose JSON is cut off after `after_events` good events (a JSON body is garbled)."""
        return cls("malformed_sse", after_events=after_events)

    @classmethod
    def stream_error(cls, message: str | None = None, *, status: int = 500, after_events: int = 1) -> Fault:
        """Send the door's error event inside a 200 stream after `after_events` events, then end the stream.

        On a non-stream request this becomes an HTTP error with `status`.
        """
        return cls("stream_error", status=status, message=message, after_events=after_events)

    @classmethod
    def invalid_tool_args(cls) -> Fault:
        """Make the answer's tool-call arguments invalid JSON (object wires: arguments that fail the schema)."""
        return cls("invalid_tool_args")

    @classmethod
    def ignore_fields(cls, *fields: str) -> Fault:
        """Answer as if the request lacked `fields` (dotted paths such as "generationConfig.responseJsonSchema").

        This is what a translating gateway does with a parameter it does not map: no error, the model
        simply never sees it (an Anthropic `output_config` dropped on the way, say). The request log
        still shows what the client sent.
        """
        if not fields or not all(isinstance(f, str) and f for f in fields):
            raise ValueError(f"`Fault.ignore_fields` needs the names of the fields to drop; got {fields!r}.")
        return cls("ignore_fields", fields=tuple(fields))

    def strip(self, body: Any) -> Any:
        """A copy of `body` without this fault's `fields` (the body itself is left as the log keeps it)."""
        import copy

        kept = copy.deepcopy(body)
        for path in self.fields:
            *parents, last = path.split(".")
            node: object = kept
            for name in parents:
                node = node.get(name) if isinstance(node, dict) else None
            if isinstance(node, dict):
                node.pop(last, None)
        return kept


@dataclass
class FaultRule:
    """A queued fault with its filters and remaining uses."""

    fault: Fault
    count: int | None = 1
    door: str | None = None
    path: str | None = None
    model: str | None = None
    probability: float = 1.0
    seed: int | None = 0
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.probability <= 1:
            raise ValueError(
                f"A fault's probability must be above 0 and at most 1, not {self.probability!r}."
            )
        self._rng = random.Random(self.seed)

    def matches(self, door: str, path: str, model: str | None) -> bool:
        """Whether a request to `door`/`path` for `model` triggers this rule."""
        if self.door is not None and self.door != door:
            return False
        if self.path is not None and self.path not in path:
            return False
        return self.model is None or self.model == model


class FaultQueue:
    """A thread-safe queue of fault rules (tests add faults while the server thread takes them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> None:
        """Queue a rule behind the existing ones."""
        if rule.count is not None and rule.count < 1:
            raise ValueError("A fault's count must be at least 1, or None for every matching request.")
        with self._lock:
            self._rules.append(rule)

    def take(self, door: str, path: str, model: str | None) -> Fault | None:
        """Use up one application of the first matching rule, if any."""
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.matches(door, path, model):
                    if rule.probability < 1 and rule._rng.random() >= rule.probability:
                        continue  # spared this time; a later rule may still match
                    if rule.count is not None:
                        rule.count -= 1
                        if rule.count == 0:
                            del self._rules[index]
                    return rule.fault
        return None

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._rules.clear()

    @property
    def pending(self) -> list[FaultRule]:
        """A snapshot of the rules still waiting."""
        with self._lock:
            return list(self._rules)
