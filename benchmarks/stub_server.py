"""A minimal relay stub for benchmarks: canned JSON and SSE answers on every door, as fast as possible.

Why not the emulator: its rule-based model parses each request and composes a reply, which costs
time per request and adds noise to an overhead measurement. This stub answers every request with a
pre-built body (a short text answer; with `bench-tools` in the model name, a turn of 8 calls of a
`nap` tool first, then the text once the request carries tool results), so what is measured is the client side: agentkit vs the raw SDK, hitting the same server.

It is raw asyncio HTTP/1.1 with keep-alive, run in its own process (`start()` spawns it), so its
work does not share the benchmark process's event loop or GIL. Doors (as relays lay them out):

    POST /v1/chat/completions                    OpenAI Chat Completions (JSON, or SSE with "stream": true)
    POST /v1/responses                           OpenAI Responses
    POST /anthropic/v1/messages                  Anthropic Messages (SSE with event: lines)
    POST /v1beta/models/{m}:generateContent      Gemini (and :streamGenerateContent?alt=sse)
    GET  /v1/models

Run standalone: `python benchmarks/stub_server.py --port 8799`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

TEXT = ("The weather in Paris is mild today, around 21 degrees with light wind from the west "
        "and a few clouds; no rain is expected before the evening, so a walk is a fine idea.")
WORDS = TEXT.split(" ")
PIECES = [w if i == 0 else " " + w for i, w in enumerate(WORDS)]
N_CALLS = 8


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _sse(events: list[tuple[str | None, Any]]) -> bytes:
    out = []
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        out.append(f"{head}data: {payload}\n\n")
    return "".join(out).encode()


def _calls() -> list[tuple[str, str]]:
    return [(f"call_{i:02d}", json.dumps({"seconds": 0.2, "label": f"job {i}"})) for i in range(N_CALLS)]


# ----------------------------------------------------------------------------------------- openai


def openai_json(tools: bool) -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": None if tools else TEXT, "refusal": None}
    if tools:
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": "nap", "arguments": args}} for cid, args in _calls()
        ]
    return _dumps({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o",
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": "tool_calls" if tools else "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": len(WORDS), "total_tokens": 20 + len(WORDS)},
        "system_fingerprint": "fp_bench",
    })


def openai_sse(tools: bool) -> bytes:
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4o",
            "system_fingerprint": "fp_bench"}
    events: list[tuple[str | None, Any]] = [
        (None, {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
    ]
    if tools:
        for i, (cid, args) in enumerate(_calls()):
            events.append((None, {**base, "choices": [{"index": 0, "finish_reason": None, "delta": {"tool_calls": [
                {"index": i, "id": cid, "type": "function", "function": {"name": "nap", "arguments": args}}]}}]}))
    else:
        for piece in PIECES:
            events.append((None, {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}))
    events.append((None, {**base, "choices": [{"index": 0, "delta": {},
                                               "finish_reason": "tool_calls" if tools else "stop"}]}))
    events.append((None, {**base, "choices": [],
                          "usage": {"prompt_tokens": 20, "completion_tokens": len(WORDS), "total_tokens": 20 + len(WORDS)}}))
    events.append((None, "[DONE]"))
    return _sse(events)


# -------------------------------------------------------------------------------------- responses


def _responses_body(status: str, output: list[Any], usage: Any) -> dict[str, Any]:
    return {
        "id": "resp_bench", "object": "response", "created_at": 1700000000, "status": status, "error": None,
        "incomplete_details": None, "instructions": None, "max_output_tokens": None, "model": "gpt-4o",
        "output": output, "parallel_tool_calls": True, "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None}, "store": True, "temperature": 1.0,
        "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": 1.0,
        "truncation": "disabled", "usage": usage, "user": None, "metadata": {},
    }


def _responses_output(tools: bool) -> list[Any]:
    if tools:
        return [{"type": "function_call", "id": f"fc_{i}", "call_id": cid, "name": "nap", "arguments": args,
                 "status": "completed"} for i, (cid, args) in enumerate(_calls())]
    return [{"type": "message", "id": "msg_bench", "status": "completed", "role": "assistant",
             "content": [{"type": "output_text", "text": TEXT, "annotations": [], "logprobs": []}]}]


_RESPONSES_USAGE = {"input_tokens": 20, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0}, "output_tokens": len(WORDS),
                    "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 20 + len(WORDS)}


def responses_json(tools: bool) -> bytes:
    return _dumps(_responses_body("completed", _responses_output(tools), _RESPONSES_USAGE))


def responses_sse(tools: bool) -> bytes:
    events: list[tuple[str | None, Any]] = []

    def emit(kind: str, **fields: Any) -> None:
        events.append((kind, {"type": kind, "sequence_number": len(events), **fields}))

    start = _responses_body("in_progress", [], None)
    emit("response.created", response=start)
    emit("response.in_progress", response=start)
    output = _responses_output(tools)
    for index, item in enumerate(output):
        if item["type"] == "message":
            emit("response.output_item.added", output_index=index, item={**item, "status": "in_progress", "content": []})
            part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
            emit("response.content_part.added", item_id=item["id"], output_index=index, content_index=0, part=part)
            for piece in PIECES:
                emit("response.output_text.delta", item_id=item["id"], output_index=index, content_index=0,
                     delta=piece, logprobs=[])
            emit("response.output_text.done", item_id=item["id"], output_index=index, content_index=0, text=TEXT,
                 logprobs=[])
            emit("response.content_part.done", item_id=item["id"], output_index=index, content_index=0,
                 part={**part, "text": TEXT})
        else:
            emit("response.output_item.added", output_index=index, item={**item, "status": "in_progress",
                                                                         "arguments": ""})
            emit("response.function_call_arguments.delta", item_id=item["id"], output_index=index,
                 delta=item["arguments"])
            emit("response.function_call_arguments.done", item_id=item["id"], output_index=index,
                 arguments=item["arguments"], name=item["name"])
        emit("response.output_item.done", output_index=index, item=item)
    emit("response.completed", response=_responses_body("completed", output, _RESPONSES_USAGE))
    return _sse(events)


# -------------------------------------------------------------------------------------- anthropic


_ANTHROPIC_USAGE = {"input_tokens": 20, "output_tokens": len(WORDS), "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0}


def anthropic_json(tools: bool) -> bytes:
    if tools:
        content = [{"type": "tool_use", "id": "toolu_" + cid, "name": "nap", "input": json.loads(args)}
                   for cid, args in _calls()]
    else:
        content = [{"type": "text", "text": TEXT}]
    return _dumps({"model": "claude-sonnet-4-5", "id": "msg_bench", "type": "message", "role": "assistant",
                   "content": content, "stop_reason": "tool_use" if tools else "end_turn", "stop_sequence": None,
                   "usage": _ANTHROPIC_USAGE})


def anthropic_sse(tools: bool) -> bytes:
    events: list[tuple[str | None, Any]] = [("message_start", {"type": "message_start", "message": {
        "model": "claude-sonnet-4-5", "id": "msg_bench", "type": "message", "role": "assistant", "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {**_ANTHROPIC_USAGE, "output_tokens": 1}}})]
    if tools:
        for index, (cid, args) in enumerate(_calls()):
            events.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": {
                "type": "tool_use", "id": "toolu_" + cid, "name": "nap", "input": {}}}))
            events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                   "delta": {"type": "input_json_delta", "partial_json": args}}))
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    else:
        events.append(("content_block_start", {"type": "content_block_start", "index": 0,
                                               "content_block": {"type": "text", "text": ""}}))
        events.append(("ping", {"type": "ping"}))
        for piece in PIECES:
            events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                   "delta": {"type": "text_delta", "text": piece}}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(("message_delta", {"type": "message_delta", "delta": {
        "stop_reason": "tool_use" if tools else "end_turn", "stop_sequence": None}, "usage": _ANTHROPIC_USAGE}))
    events.append(("message_stop", {"type": "message_stop"}))
    return _sse(events)


# ----------------------------------------------------------------------------------------- gemini


_GEMINI_USAGE = {"promptTokenCount": 20, "candidatesTokenCount": len(WORDS), "totalTokenCount": 20 + len(WORDS)}


def _gemini_parts(tools: bool) -> list[Any]:
    if tools:
        return [{"functionCall": {"id": cid, "name": "nap", "args": json.loads(args)}} for cid, args in _calls()]
    return [{"text": TEXT}]


def gemini_json(tools: bool) -> bytes:
    return _dumps({"candidates": [{"content": {"parts": _gemini_parts(tools), "role": "model"},
                                   "finishReason": "STOP", "index": 0}],
                   "usageMetadata": _GEMINI_USAGE, "modelVersion": "gemini-2.5-flash", "responseId": "bench"})


def gemini_sse(tools: bool) -> bytes:
    chunks = [[part] for part in _gemini_parts(tools)] if tools else [[{"text": piece}] for piece in PIECES]
    events: list[tuple[str | None, Any]] = []
    for i, parts in enumerate(chunks):
        body: dict[str, Any] = {"candidates": [{"content": {"parts": parts, "role": "model"}, "index": 0}],
                                "modelVersion": "gemini-2.5-flash", "responseId": "bench"}
        if i == len(chunks) - 1:
            body["candidates"][0]["finishReason"] = "STOP"
            body["usageMetadata"] = _GEMINI_USAGE
        events.append((None, body))
    return _sse(events).replace(b"\n\n", b"\r\n\r\n")


# ----------------------------------------------------------------------------------------- server

_BODIES: dict[tuple[str, bool, bool], bytes] = {}
for _tools in (False, True):
    _BODIES["openai", False, _tools] = openai_json(_tools)
    _BODIES["openai", True, _tools] = openai_sse(_tools)
    _BODIES["responses", False, _tools] = responses_json(_tools)
    _BODIES["responses", True, _tools] = responses_sse(_tools)
    _BODIES["anthropic", False, _tools] = anthropic_json(_tools)
    _BODIES["anthropic", True, _tools] = anthropic_sse(_tools)
    _BODIES["gemini", False, _tools] = gemini_json(_tools)
    _BODIES["gemini", True, _tools] = gemini_sse(_tools)
_MODELS = _dumps({"object": "list", "data": [{"id": m, "object": "model", "owned_by": "bench"} for m in
                                             ("gpt-4o", "claude-sonnet-4-5", "gemini-2.5-flash")]})


#: A request that already carries tool results gets the final text answer (one tool round per run).
_RESULT_MARKERS = (b'"role":"tool"', b'"role": "tool"', b"function_call_output", b"tool_result",
                   b"functionResponse", b"function_response")


def _route(method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
    tools = (b"bench-tools" in body or "bench-tools" in path) and not any(m in body for m in _RESULT_MARKERS)
    if method == "GET" and path.startswith("/v1/models"):
        return 200, "application/json", _MODELS
    if "/models/" in path and ":" in path.rsplit("/", 1)[-1]:  # Gemini, whatever version prefix a client uses
        stream = ":streamGenerateContent" in path
        return 200, "text/event-stream" if stream else "application/json", _BODIES["gemini", stream, tools]
    door = ("openai" if path.endswith("/chat/completions") else "responses" if path.endswith("/responses")
            else "anthropic" if path.endswith("/messages") else None)
    if door is None:
        return 404, "application/json", b'{"error":{"message":"not found","type":"invalid_request_error"}}'
    stream = b'"stream":true' in body.replace(b" ", b"")
    return 200, "text/event-stream" if stream else "application/json", _BODIES[door, stream, tools]


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            status, media, payload = _route(method, path, body)
            writer.write(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\ncontent-type: {media}\r\n"
                f"content-length: {len(payload)}\r\nconnection: keep-alive\r\n\r\n".encode() + payload
            )
            await writer.drain()
    finally:
        writer.close()


async def _serve(host: str, port: int) -> None:
    server = await asyncio.start_server(_handle, host, port, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def start(host: str = "127.0.0.1") -> Iterator[str]:
    """Run the stub in a child process for the duration of the block; yields its root URL."""
    proc = subprocess.Popen([sys.executable, __file__, "--host", host, "--port", "0"], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://{host}:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port))


if __name__ == "__main__":
    main()
