"""The emulator's ASGI application: routes, auth, request log, scripts, faults, and rendering.

Why Starlette: a real HTTP server (uvicorn) parses the requests, so the official SDKs talk to the
emulator exactly as they talk to a relay; nothing here parses HTTP by hand.

Connection drops need one server detail: an ASGI app cannot close its connection without answering
(raising before the response starts makes uvicorn send a 500). The outermost wrapper therefore keeps
uvicorn's per-request cycle object (the owner of the `send` callable, which holds the transport) in
the scope, and a drop closes that transport. uvicorn's h11 and httptools cycles both hold it (the
emulator runs h11). Under a server without it, a drop raises instead: uvicorn answers that with a 500
before the response has started, and by closing the connection after.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .cache import PromptCache
from .faults import Fault, FaultQueue
from .log import RequestLog, RequestRecord, redact_headers, redact_query
from .model import prompt_tokens, respond
from .neutral import ChatRequest, RequestError
from .neutral import Message as ChatMessage
from .script import Script
from .wire import ErrorSpec, RenderContext, Rendered, Wire, dumps_pretty, header
from .wire_anthropic import AnthropicWire, key_from_headers
from .wire_gemini import GeminiWire
from .wire_openai import OpenAIChatWire, openai_headers
from .wire_responses import ResponsesWire

__all__ = ["DEFAULT_MODELS", "Core", "build_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_CYCLE_KEY = "agentkit.emulator.cycle"
_STREAM_FAULTS = ("drop_mid_stream", "malformed_sse", "stream_error")
OPENAI_PREFIXES = ("", "/v1", "/openai", "/openai/v1")
ANTHROPIC_PATHS = ("/anthropic/v1/messages", "/v1/messages", "/anthropic/messages")
GEMINI_PREFIXES = ("/v1beta", "/v1", "/v1alpha", "/gemini/v1beta", "/gemini/v1")

#: What `GET /v1/models` lists unless the emulator is given its own list.
DEFAULT_MODELS: tuple[str, ...] = (
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-5-nano",
    "o3-mini",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.0-flash",
    "deepseek-chat",
    "deepseek-r1",
    "deepseek-reasoner",
    "deepseek/deepseek-r1",
    "qwen/qwen2-vl-72b-instruct",
)


@dataclass
class Core:
    """The emulator's shared state, read by the server thread and changed by the test thread."""

    api_key: str | None = None
    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    strict_models: bool = False
    stream_delay: float = 0.0
    script: Script = field(default_factory=Script)
    faults: FaultQueue = field(default_factory=FaultQueue)
    log: RequestLog = field(default_factory=RequestLog)
    closing: threading.Event = field(default_factory=threading.Event)
    #: Responses-door conversations by response id, for `previous_response_id`.
    responses: dict[str, list[ChatMessage]] = field(default_factory=dict)
    prompt_cache: PromptCache = field(default_factory=PromptCache)


def _owner(model: str) -> str:
    lowered = model.lower()
    if "/" in lowered:
        return lowered.split("/", 1)[0]
    for prefix, owner in (
        ("gpt", "openai"),
        ("o1", "openai"),
        ("o3", "openai"),
        ("o4", "openai"),
        ("claude", "anthropic"),
        ("gemini", "google"),
        ("deepseek", "deepseek"),
        ("qwen", "qwen"),
    ):
        if lowered.startswith(prefix):
            return owner
    return "system"


def _respond(rendered: Rendered, extra: dict[str, str] | None = None) -> Response:
    headers = {**rendered.headers, **(extra or {}), "content-type": rendered.media_type}
    return Response(rendered.body.encode(), status_code=rendered.status, headers=headers)


class _Silent(Response):
    """A response that sends nothing, for a connection the emulator has already closed."""

    def __init__(self) -> None:
        super().__init__(b"")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


class _DroppedConnection(Exception):
    """Raised to make uvicorn close a connection when the emulator cannot reach the transport itself."""


async def _close_connection(scope: Scope) -> bool:
    """Close the client's connection at once; True when done directly, False when it must be raised for."""
    cycle = scope.get(_CYCLE_KEY)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return False
    transport.close()
    for _ in range(200):  # let uvicorn see connection_lost, so it neither writes nor logs afterwards
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0.001)
    return True


async def _sleep(seconds: float, closing: threading.Event, request: Request) -> None:
    """Sleep, but wake early when the emulator shuts down or the client hangs up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not closing.is_set() and not await request.is_disconnected():
        remaining = deadline - loop.time()
        if remaining <= 0:
            return
        await asyncio.sleep(min(remaining, 0.05))


def _bad_json_message(door: str) -> str:
    if door == "anthropic":
        return "There was an error parsing the body: the request body is not valid JSON."
    if door == "gemini":
        return "Invalid JSON payload received. Unexpected token."
    return (
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
        "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
    )


def _error_headers(fault: Fault) -> dict[str, str]:
    if fault.retry_after is None:
        return {}
    value = fault.retry_after
    return {"retry-after": str(int(value)) if float(value).is_integer() else str(value)}


class _Handler:
    """Handles one door's requests against the shared Core."""

    def __init__(self, core: Core, door: str, wire: Wire) -> None:
        self.core = core
        self.door = door
        self.wire = wire

    def _presented_key(self, request: Request) -> str | None:
        headers = dict(request.headers)
        if self.door == "anthropic":
            return key_from_headers(headers)
        if self.door == "gemini":
            key = header(headers, "x-goog-api-key") or request.query_params.get("key")
            if key:
                return key
        authorization = header(headers, "authorization") or ""
        return authorization[7:].strip() if authorization.lower().startswith("bearer ") else None

    def _authorized(self, request: Request) -> tuple[bool, bool]:
        """(authorized, a key was presented)."""
        if self.core.api_key is None:
            return True, True
        presented = self._presented_key(request)
        if presented is None:
            return False, False
        return hmac.compare_digest(presented.encode(), self.core.api_key.encode()), True

    async def _before_answer(
        self, request: Request, fault: Fault | None, ctx: RenderContext, model: str | None
    ) -> Response | None:
        """Apply the part of a fault that happens before any answer; a Response ends the request."""
        if fault is None:
            return None
        if fault.seconds:
            await _sleep(fault.seconds, self.core.closing, request)
            if await request.is_disconnected():
                # The client gave up (a timeout): answer nothing, and take no scripted turn meant for
                # a later request.
                return _Silent()
        if fault.kind == "http_error" or (fault.kind == "stream_error" and not ctx.streaming):
            spec = ErrorSpec(fault.status, fault.message, code=fault.code, model=model)
            return _respond(self.wire.render_error(spec, ctx), _error_headers(fault))
        if fault.kind == "drop":
            if await _close_connection(request.scope):
                return _Silent()
            raise _DroppedConnection("The emulator dropped this connection on purpose (fault 'drop').")
        return None

    async def handle(self, request: Request) -> Response:
        """Answer one request through this door."""
        core = self.core
        wire = self.wire
        ctx = RenderContext(rng=random.Random())
        try:
            raw = await request.body()
        except ClientDisconnect:
            # The client gave up (a timeout) before this busy server got to read the body. The request
            # was sent all the same: it is logged (without its body) and uses up the fault it would
            # have met, as on a server that had kept up; nothing is answered.
            core.log.append(RequestRecord(door=self.door, method=request.method, path=request.url.path,
                                          query=redact_query(dict(request.query_params)),
                                          headers=redact_headers(dict(request.headers)), body=None))
            core.faults.take(self.door, request.url.path, None)
            return _Silent()
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", errors="replace")
                bad_json = True
        path_model: str | None = None
        action: str | None = None
        if self.door == "gemini":
            target = request.path_params.get("target", "")
            path_model, _, action = target.rpartition(":")
            ctx.streaming = action == "streamGenerateContent"
            ctx.alt_sse = request.query_params.get("alt") == "sse"
        else:
            ctx.streaming = isinstance(body, dict) and body.get("stream") is True
        model = path_model or (
            body.get("model") if isinstance(body, dict) and isinstance(body.get("model"), str) else None
        )
        core.log.append(
            RequestRecord(
                door=self.door,
                method=request.method,
                path=request.url.path,
                query=redact_query(dict(request.query_params)),
                headers=redact_headers(dict(request.headers)),
                body=body,
                model=model,
                stream=ctx.streaming,
            )
        )
        authorized, presented = self._authorized(request)
        if not authorized:
            return _respond(wire.auth_error(presented, ctx))
        if self.door == "gemini" and action not in (
            "generateContent",
            "streamGenerateContent",
            "countTokens",
        ):
            message = (
                f"Method not found: {action or '(none)'} is not a supported method of models/{path_model}."
            )
            return _respond(wire.render_error(ErrorSpec(404, message), ctx))

        queued = core.faults.take(self.door, request.url.path, model)
        early = await self._before_answer(request, queued, ctx, model)
        if early is not None:
            return early
        if bad_json or body is None:
            return _respond(wire.render_error(ErrorSpec(400, _bad_json_message(self.door)), ctx))
        if queued is not None and queued.kind == "ignore_fields":
            body = queued.strip(body)
        try:
            chat = wire.parse(body, path_model=path_model, stream=ctx.streaming)
        except RequestError as exc:
            return _respond(
                wire.render_error(ErrorSpec(exc.status, exc.message, param=exc.param, model=model), ctx)
            )
        if core.strict_models and chat.model not in core.models:
            return _respond(wire.render_error(ErrorSpec(404, model=chat.model), ctx))
        if action == "countTokens":
            return self._count_tokens(chat, ctx)

        turn = core.script.take(self.door, chat.model)
        if turn is not None and turn.fault is not None:
            early = await self._before_answer(request, turn.fault, ctx, chat.model)
            if early is not None:
                return early
        faults = [f for f in (queued, turn.fault if turn else None) if f is not None]
        reply = turn.to_reply(chat) if turn is not None and turn.has_content else respond(chat)
        core.prompt_cache.account(chat, reply.usage)
        if any(f.kind == "invalid_tool_args" for f in faults):
            reply = wire.with_invalid_arguments(reply, chat)
        stream_fault = next((f for f in faults if f.kind in _STREAM_FAULTS), None)
        if not ctx.streaming:
            rendered = wire.render_json(reply, chat, ctx)
            if stream_fault is not None:
                return self._broken_body(request, rendered, stream_fault)
            return _respond(rendered)
        events = wire.render_events(reply, chat, ctx)
        headers = {
            **wire.response_headers(ctx),
            "content-type": wire.stream_content_type(ctx),
            "cache-control": "no-cache",
        }
        return StreamingResponse(self._events(request, events, stream_fault, ctx, chat), headers=headers)

    def _count_tokens(self, chat: ChatRequest, ctx: RenderContext) -> Response:
        total = prompt_tokens(chat)
        body = {"totalTokens": total, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": total}]}
        return _respond(
            Rendered(
                200,
                dumps_pretty(body) + "\n",
                "application/json; charset=UTF-8",
                self.wire.response_headers(ctx),
            )
        )

    def _broken_body(self, request: Request, rendered: Rendered, fault: Fault) -> Response:
        """A non-stream answer cut short (drop) or garbled (malformed) by a stream fault."""
        data = rendered.body.encode()
        half = data[: max(1, len(data) // 2)]
        headers = {**rendered.headers, "content-type": rendered.media_type}
        if fault.kind == "malformed_sse":
            return Response(half, status_code=rendered.status, headers=headers)

        async def cut() -> AsyncIterator[bytes]:
            yield half
            await asyncio.sleep(0.01)
            if not await _close_connection(request.scope):
                raise _DroppedConnection(
                    "The emulator dropped this connection mid-body on purpose (fault 'drop_mid_stream')."
                )

        return StreamingResponse(
            cut(), status_code=rendered.status, headers={**headers, "content-length": str(len(data))}
        )

    async def _events(
        self, request: Request, events: list[str], fault: Fault | None, ctx: RenderContext, chat: ChatRequest
    ) -> AsyncIterator[str]:
        strike = min(fault.after_events, max(0, len(events) - 1)) if fault is not None else -1
        for index, event in enumerate(events):
            if fault is not None and index == strike:
                if fault.kind == "drop_mid_stream":
                    await asyncio.sleep(0.01)  # let the events already sent reach the client
                    if not await _close_connection(request.scope):
                        raise _DroppedConnection(
                            "The emulator dropped this stream on purpose (fault 'drop_mid_stream')."
                        )
                    return
                if fault.kind == "stream_error":
                    spec = ErrorSpec(fault.status, fault.message, code=fault.code, model=chat.model)
                    yield self.wire.stream_error_event(spec, ctx, index)
                    return
                yield self.wire.malformed_event(ctx, index)
            yield event
            await asyncio.sleep(self.core.stream_delay)
            if self.core.closing.is_set():
                return


class _ModelsHandler(_Handler):
    """`GET /v1/models` (and `/v1/models/{id}`): the model list, without auth, subject to "models" faults."""

    def __init__(self, core: Core) -> None:
        super().__init__(core, "models", OpenAIChatWire())

    async def handle(self, request: Request) -> Response:
        """List the models, or describe one."""
        core = self.core
        model_id = request.path_params.get("model_id")
        core.log.append(
            RequestRecord(
                door="models",
                method=request.method,
                path=request.url.path,
                query=redact_query(dict(request.query_params)),
                headers=redact_headers(dict(request.headers)),
                body=None,
                model=model_id,
            )
        )
        ctx = RenderContext()
        early = await self._before_answer(
            request, core.faults.take("models", request.url.path, model_id), ctx, model_id
        )
        if early is not None:
            return early
        headers = openai_headers(ctx)
        entries = [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": _owner(m)} for m in core.models
        ]
        if model_id is None:
            body: dict[str, Any] = {"object": "list", "data": entries}
            return _respond(Rendered(200, dumps_pretty(body), "application/json", headers))
        found = next((e for e in entries if e["id"] == model_id), None)
        if found is None and core.strict_models:
            return _respond(self.wire.render_error(ErrorSpec(404, model=model_id), ctx))
        entry = found or {
            "id": model_id,
            "object": "model",
            "created": 1700000000,
            "owned_by": _owner(model_id),
        }
        return _respond(Rendered(200, dumps_pretty(entry), "application/json", headers))


def _unknown_handler(core: Core) -> Callable[[Request], Awaitable[Response]]:
    async def unknown(request: Request) -> Response:
        path = request.url.path
        core.log.append(
            RequestRecord(
                door="unknown",
                method=request.method,
                path=path,
                query=redact_query(dict(request.query_params)),
                headers=redact_headers(dict(request.headers)),
                body=None,
            )
        )
        ctx = RenderContext()
        message = f"Unknown request URL: {request.method} {path}. Please check the URL for typos."
        wire: Wire
        if path.startswith("/anthropic"):
            wire = AnthropicWire()
        elif path.startswith(("/v1beta", "/gemini")):
            wire = GeminiWire()
        else:
            wire = OpenAIChatWire()
        return _respond(
            wire.render_error(
                ErrorSpec(404, message, code="unknown_url" if isinstance(wire, OpenAIChatWire) else None), ctx
            )
        )

    return unknown


class _KeepCycle:
    """Outermost ASGI wrapper: remember uvicorn's request cycle so that faults can close the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http":
            scope[_CYCLE_KEY] = getattr(send, "__self__", None)
        await self.app(scope, receive, send)


def build_app(core: Core) -> ASGIApp:
    """The emulator's ASGI app for `core`: every door's routes, `GET /v1/models`, and a JSON 404 elsewhere."""
    openai = _Handler(core, "openai", OpenAIChatWire())
    responses = _Handler(core, "responses", ResponsesWire(core.responses))
    anthropic = _Handler(core, "anthropic", AnthropicWire())
    gemini = _Handler(core, "gemini", GeminiWire())
    models = _ModelsHandler(core).handle
    routes: list[Route] = []
    for prefix in OPENAI_PREFIXES:
        routes.append(Route(f"{prefix}/chat/completions", openai.handle, methods=["POST"]))
        routes.append(Route(f"{prefix}/responses", responses.handle, methods=["POST"]))
        routes.append(Route(f"{prefix}/models", models, methods=["GET"]))
    routes.extend(Route(path, anthropic.handle, methods=["POST"]) for path in ANTHROPIC_PATHS)
    routes.extend(
        Route(f"{prefix}/models/{{target:path}}", gemini.handle, methods=["POST"])
        for prefix in GEMINI_PREFIXES
    )
    routes.extend(
        Route(f"{prefix}/models/{{model_id:path}}", models, methods=["GET"]) for prefix in OPENAI_PREFIXES
    )
    routes.append(
        Route(
            "/{path:path}",
            _unknown_handler(core),
            methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
        )
    )
    return _KeepCycle(Starlette(routes=routes))
