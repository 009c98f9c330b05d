"""Stub relays of the five layouts in shared/design/RELAYS.md, for checking where `ak.Relay` sends what.

Each stub serves only its layout's doors (anything else is a 404, as on the real service), checks
the auth header each door documents, records every request, and answers with the smallest body
each SDK accepts. The full-featured emulator lives in `agentkit.emulator`; these stubs exist to pin
paths and headers per layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

KEY = "sk-layout-test-0123456789abcdef"

CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "m",
    "content": [{"type": "text", "text": "ok"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1},
}
GEMINI = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}],
    "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2},
}
MODELS = {"object": "list", "data": [{"id": i, "object": "model", "owned_by": "x"} for i in (
    "gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-pro", "deepseek-r1", "deepseek/deepseek-r1")]}


@dataclass
class Layout:
    """Which door paths a relay serves and which auth each door wants."""

    name: str
    openai: str | None = "/v1"  # prefix before /chat/completions
    anthropic: str | None = None  # prefix before /v1/messages
    gemini: str | None = None  # prefix before /v1beta/models/...
    models_need_auth: bool = True
    anthropic_auth: str = "x-api-key"  # or "bearer"
    fail_status: int | None = None  # answer every request with this status (a sick primary host)
    log: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            path = request.url.path
            body = await request.body()
            self.log.append(
                {"method": request.method, "path": path, "headers": dict(request.headers),
                 "body": json.loads(body) if body else None}
            )
            if self.fail_status:
                return JSONResponse({"error": {"message": "upstream down", "type": "server_error"}},
                                    status_code=self.fail_status)
            h = request.headers
            bearer = h.get("authorization") == f"Bearer {KEY}"
            if self.openai is not None and path == f"{self.openai}/models" and request.method == "GET":
                if self.models_need_auth and not bearer:
                    return _unauthorized()
                return JSONResponse(MODELS)
            if self.openai is not None and path in (f"{self.openai}/chat/completions", f"{self.openai}/responses"):
                return JSONResponse(CHAT) if bearer else _unauthorized()
            if self.anthropic is not None and path == f"{self.anthropic}/v1/messages":
                ok = h.get("x-api-key") == KEY if self.anthropic_auth == "x-api-key" else bearer
                return JSONResponse(MESSAGE) if ok else _unauthorized()
            if self.gemini is not None and path.startswith(f"{self.gemini}/v1beta/models/"):
                if h.get("x-goog-api-key") != KEY:
                    return JSONResponse({"error": {"code": 400, "message": "API key not valid.",
                                                   "status": "INVALID_ARGUMENT"}}, status_code=400)
                return JSONResponse(GEMINI)
            return JSONResponse({"error": {"message": f"no route {path}", "type": "invalid_request_error",
                                           "code": "not_found"}}, status_code=404)

        return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST"])])


def _unauthorized() -> Response:
    return JSONResponse({"error": {"message": "Invalid token", "type": "invalid_request_error",
                                   "code": "invalid_api_key"}}, status_code=401)


LAYOUTS = {
    "R1": lambda: Layout("R1 three doors", openai="/v1", anthropic="/anthropic", gemini=""),
    "R2": lambda: Layout("R2 two doors", openai="/v1", anthropic="/anthropic", anthropic_auth="bearer"),
    "R3": lambda: Layout("R3 OpenAI only", openai="/v1", models_need_auth=False),
    "R4": lambda: Layout("R4 prefixed path", openai="/openai"),
    "R5": lambda: Layout("R5 primary + backup", openai="/v1"),
}
