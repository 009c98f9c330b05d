"""The OpenAI Responses door: `POST /v1/responses` (also under `/openai` and `/openai/v1`).

There are no recordings of this API in realtraffic (INDEX.md explains why), so the shapes follow the
installed openai SDK's types (`openai/types/responses/*.py`): a `response` object with `output` items
(`reasoning` with a summary, `message` with `output_text` parts, `function_call` with `fc_` id, `call_id`,
`name`, JSON-string `arguments` and `status`), and SSE events `event: <type>` + `data: {...,
"sequence_number": n}` from `response.created` to `response.completed`.
"""

from __future__ import annotations

from typing import Any

from .neutral import (
    ChatRequest,
    FileInput,
    ImageInput,
    Message,
    Reply,
    RequestError,
    ToolCall,
    ToolResult,
    ToolSpec,
)
from .text import split_fixed, split_words
from .wire import ErrorSpec, RenderContext, Rendered, Wire, dumps_compact, dumps_pretty, sse_event
from .wire_openai import (
    openai_auth_error,
    openai_error,
    openai_file,
    openai_headers,
    openai_image,
    parse_tool_choice,
    reasoning_requested,
    text_of,
)

__all__ = ["ResponsesWire"]

_HEX = "0123456789abcdef"


def _item_text_and_images(content: Any, param: str = "input[0]",
                           files: list[FileInput] | None = None) -> tuple[str, list[ImageInput]]:
    """The text and images of an item's content; its `input_file` parts are checked and added to `files`."""
    if isinstance(content, str):
        return content, []
    texts: list[str] = []
    images: list[ImageInput] = []
    if isinstance(content, list):
        for position, part in enumerate(content):
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind == "input_file":
                found = openai_file(part, f"{param}.content[{position}]", urls=True)
                if files is not None:
                    files.append(found)
            elif kind in ("input_text", "output_text", "text") and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif kind == "refusal" and isinstance(part.get("refusal"), str):
                texts.append(part["refusal"])
            elif kind == "input_image":
                url = part.get("image_url")
                if isinstance(url, dict):
                    url = url.get("url")
                if isinstance(url, str):
                    images.append(openai_image(url))
                elif isinstance(part.get("file_id"), str):
                    images.append(ImageInput(url=f"file:{part['file_id']}"))
    return "\n".join(texts), images


class ResponsesWire(Wire):
    """OpenAI Responses, JSON and SSE.

    Args:
        history: Where stored responses keep their conversation, by response id, so that a later request
            can continue it with `previous_response_id` (server-side state, as in the real API). The
            emulator passes a store it clears on reset; without one, a private store is used.
    """

    door = "responses"
    #: How many stored conversations are kept; the oldest are forgotten first.
    max_stored = 1000

    def __init__(self, history: dict[str, list[Message]] | None = None) -> None:
        self.history: dict[str, list[Message]] = history if history is not None else {}

    def _remember(self, response_id: str, request: ChatRequest, reply: Reply) -> None:
        if not request.options.get("store", True):
            return
        assistant = Message(
            "assistant", reply.text or "", tool_calls=list(reply.tool_calls), reasoning=reply.reasoning
        )
        self.history[response_id] = [*request.messages, assistant]
        while len(self.history) > self.max_stored:
            del self.history[next(iter(self.history))]

    # -- requests ------------------------------------------------------------------------------
    def parse(self, body: Any, *, path_model: str | None = None, stream: bool | None = None) -> ChatRequest:
        if not isinstance(body, dict):
            raise RequestError("The request body must be a JSON object.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise RequestError("Missing required parameter: 'model'.", param="model")
        raw_input = body.get("input")
        if raw_input is None:
            raise RequestError("Missing required parameter: 'input'.", param="input")
        system: list[str] = []
        instructions = body.get("instructions")
        if isinstance(instructions, str):
            system.append(instructions)
        previous = body.get("previous_response_id")
        messages: list[Message] = []
        if isinstance(previous, str):
            if previous not in self.history:
                raise RequestError(
                    f"Previous response with id '{previous}' not found.",
                    param="previous_response_id",
                    status=404,
                )
            messages = [
                Message(m.role, m.text, list(m.images), list(m.tool_calls), list(m.tool_results), m.reasoning,
                        list(m.files))
                for m in self.history[previous]
            ]
        pending_reasoning: str | None = None
        items = [{"role": "user", "content": raw_input}] if isinstance(raw_input, str) else raw_input
        if not isinstance(items, list):
            raise RequestError(
                "Invalid type for 'input': expected a string or an array of input items.", param="input"
            )
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise RequestError(
                    f"Invalid type for 'input[{index}]': expected an object.", param=f"input[{index}]"
                )
            kind = item.get("type", "message")
            if kind == "message":
                role = item.get("role")
                attached: list[FileInput] = []
                text, images = _item_text_and_images(item.get("content"), f"input[{index}]", attached)
                if role in ("system", "developer"):
                    system.append(text)
                elif role == "assistant":
                    messages.append(Message("assistant", text, reasoning=pending_reasoning))
                    pending_reasoning = None
                elif role == "user":
                    messages.append(Message("user", text, images=images, files=attached))
                else:
                    raise RequestError(
                        f"Invalid value: '{role}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.",
                        param=f"input[{index}].role",
                    )
            elif kind == "function_call":
                call = ToolCall(
                    str(item.get("call_id", "")), str(item.get("name", "")), str(item.get("arguments") or "")
                )
                if messages and messages[-1].role == "assistant":
                    messages[-1].tool_calls.append(call)
                else:
                    messages.append(Message("assistant", tool_calls=[call], reasoning=pending_reasoning))
                    pending_reasoning = None
            elif kind == "function_call_output":
                output = item.get("output")
                returned: list[FileInput] = []
                text, pictures = _item_text_and_images(output, f"input[{index}].output", returned)
                if not text and not pictures and not returned and not isinstance(output, str):
                    text = text_of(output) or dumps_compact(output)
                result = ToolResult(
                    item.get("call_id") if isinstance(item.get("call_id"), str) else None,
                    None,
                    text,
                    images=pictures,
                    files=returned,
                )
                if messages and messages[-1].role == "tool":
                    messages[-1].tool_results.append(result)
                else:
                    messages.append(Message("tool", tool_results=[result]))
            elif kind == "reasoning":
                summary = item.get("summary")
                if isinstance(summary, list):
                    pending_reasoning = "\n".join(
                        s.get("text", "")
                        for s in summary
                        if isinstance(s, dict) and isinstance(s.get("text"), str)
                    )
            # Other item types (item_reference, web_search_call, ...) carry nothing the model reads.
        tools: list[ToolSpec] = []
        for raw in body.get("tools") or []:
            if (
                isinstance(raw, dict)
                and raw.get("type", "function") == "function"
                and isinstance(raw.get("name"), str)
            ):
                parameters = raw.get("parameters")
                tools.append(
                    ToolSpec(
                        raw["name"],
                        str(raw.get("description") or ""),
                        parameters if isinstance(parameters, dict) else {"type": "object", "properties": {}},
                    )
                )
        text_config = body.get("text")
        fmt = text_config.get("format") if isinstance(text_config, dict) else None
        schema: dict[str, Any] | None = None
        name: str | None = None
        json_mode = False
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            schema = fmt.get("schema") if isinstance(fmt.get("schema"), dict) else {"type": "object"}
            name = fmt.get("name") if isinstance(fmt.get("name"), str) else None
        elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
            json_mode = True
        max_tokens = body.get("max_output_tokens")
        return ChatRequest(
            door=self.door,
            model=model,
            messages=messages,
            system="\n\n".join(s for s in system if s),
            tools=tools,
            tool_choice=parse_tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls")),
            output_schema=schema,
            output_name=name,
            json_mode=json_mode,
            reasoning=reasoning_requested(model, body),
            stream=bool(body.get("stream")) if stream is None else stream,
            max_tokens=max_tokens if isinstance(max_tokens, int) else None,
            options={
                "instructions": instructions if isinstance(instructions, str) else None,
                "tools": body.get("tools") or [],
                "tool_choice": body.get("tool_choice", "auto"),
                "text_format": fmt if isinstance(fmt, dict) else {"type": "text"},
                "reasoning": body.get("reasoning"),
                "include": body.get("include") or [],
                "parallel_tool_calls": body.get("parallel_tool_calls", True) is not False,
                "max_output_tokens": max_tokens if isinstance(max_tokens, int) else None,
                "previous_response_id": body.get("previous_response_id"),
                "metadata": body.get("metadata") or {},
                "store": body.get("store", True) is not False,
                "temperature": body.get("temperature", 1.0),
                "top_p": body.get("top_p", 1.0),
            },
        )

    # -- answers -------------------------------------------------------------------------------
    def _items(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if reply.reasoning is not None:
            item: dict[str, Any] = {
                "id": ctx.ids("rs_", 50, _HEX),
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": reply.reasoning}],
            }
            if "reasoning.encrypted_content" in request.options.get("include", []):
                item["encrypted_content"] = ctx.ids("gAAAAA", 64)
            items.append(item)
        if reply.text is not None:
            items.append(
                {
                    "id": ctx.ids("msg_", 50, _HEX),
                    "type": "message",
                    "status": "incomplete" if reply.finish == "length" else "completed",
                    "content": [
                        {"type": "output_text", "annotations": [], "logprobs": [], "text": reply.text}
                    ],
                    "role": "assistant",
                }
            )
        for call in reply.tool_calls:
            items.append(
                {
                    "id": ctx.ids("fc_", 50, _HEX),
                    "type": "function_call",
                    "status": "completed",
                    "arguments": call.arguments,
                    "call_id": call.id,
                    "name": call.name,
                }
            )
        return items

    @staticmethod
    def _usage(reply: Reply) -> dict[str, Any]:
        usage = reply.usage
        return {
            "input_tokens": usage.prompt_tokens,
            "input_tokens_details": {"cached_tokens": usage.cached_tokens, "cache_write_tokens": 0},
            "output_tokens": usage.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
            "total_tokens": usage.total_tokens,
        }

    def _response(
        self,
        request: ChatRequest,
        ctx: RenderContext,
        response_id: str,
        *,
        status: str,
        output: list[dict[str, Any]],
        usage: dict[str, Any] | None,
    ) -> dict[str, Any]:
        options = request.options
        raw_reasoning = options.get("reasoning")
        reasoning: dict[str, Any] = raw_reasoning if isinstance(raw_reasoning, dict) else {}
        incomplete = {"reason": "max_output_tokens"} if status == "incomplete" else None
        return {
            "id": response_id,
            "object": "response",
            "created_at": ctx.created,
            "status": status,
            "background": False,
            "completed_at": ctx.created if status in ("completed", "incomplete") else None,
            "error": None,
            "incomplete_details": incomplete,
            "instructions": options.get("instructions"),
            "max_output_tokens": options.get("max_output_tokens"),
            "max_tool_calls": None,
            "model": request.model,
            "output": output,
            "parallel_tool_calls": options.get("parallel_tool_calls", True),
            "previous_response_id": options.get("previous_response_id"),
            "prompt_cache_key": None,
            "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
            "safety_identifier": None,
            "service_tier": "default",
            "store": options.get("store", True),
            "temperature": options.get("temperature", 1.0),
            "text": {"format": options.get("text_format", {"type": "text"}), "verbosity": "medium"},
            "tool_choice": options.get("tool_choice", "auto"),
            "tools": options.get("tools", []),
            "top_logprobs": 0,
            "top_p": options.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": options.get("metadata", {}),
        }

    def render_json(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> Rendered:
        status = "incomplete" if reply.finish == "length" else "completed"
        response_id = ctx.ids("resp_", 50, _HEX)
        self._remember(response_id, request, reply)
        body = self._response(
            request,
            ctx,
            response_id,
            status=status,
            output=self._items(reply, request, ctx),
            usage=self._usage(reply),
        )
        return Rendered(200, dumps_pretty(body), "application/json", openai_headers(ctx))

    def render_events(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> list[str]:
        response_id = ctx.ids("resp_", 50, _HEX)
        self._remember(response_id, request, reply)
        items = self._items(reply, request, ctx)
        events: list[str] = []

        def emit(kind: str, **fields: Any) -> None:
            payload = {"type": kind, "sequence_number": len(events), **fields}
            events.append(sse_event(kind, dumps_compact(payload)))

        start = self._response(request, ctx, response_id, status="in_progress", output=[], usage=None)
        emit("response.created", response=start)
        emit("response.in_progress", response=start)
        for index, item in enumerate(items):
            kind = item["type"]
            item_id = item["id"]
            if kind == "reasoning":
                emit("response.output_item.added", output_index=index, item={**item, "summary": []})
                text = item["summary"][0]["text"]
                part = {"type": "summary_text", "text": ""}
                emit(
                    "response.reasoning_summary_part.added",
                    item_id=item_id,
                    output_index=index,
                    summary_index=0,
                    part=part,
                )
                for piece in split_words(text, 2):
                    emit(
                        "response.reasoning_summary_text.delta",
                        item_id=item_id,
                        output_index=index,
                        summary_index=0,
                        delta=piece,
                        obfuscation=ctx.ids("", ctx.rng.randint(1, 16)),
                    )
                emit(
                    "response.reasoning_summary_text.done",
                    item_id=item_id,
                    output_index=index,
                    summary_index=0,
                    text=text,
                )
                emit(
                    "response.reasoning_summary_part.done",
                    item_id=item_id,
                    output_index=index,
                    summary_index=0,
                    part={"type": "summary_text", "text": text},
                )
            elif kind == "message":
                text = item["content"][0]["text"]
                emit(
                    "response.output_item.added",
                    output_index=index,
                    item={**item, "status": "in_progress", "content": []},
                )
                empty_part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
                emit(
                    "response.content_part.added",
                    item_id=item_id,
                    output_index=index,
                    content_index=0,
                    part=empty_part,
                )
                for piece in split_words(text, 1):
                    emit(
                        "response.output_text.delta",
                        item_id=item_id,
                        output_index=index,
                        content_index=0,
                        delta=piece,
                        logprobs=[],
                        obfuscation=ctx.ids("", ctx.rng.randint(1, 16)),
                    )
                emit(
                    "response.output_text.done",
                    item_id=item_id,
                    output_index=index,
                    content_index=0,
                    text=text,
                    logprobs=[],
                )
                emit(
                    "response.content_part.done",
                    item_id=item_id,
                    output_index=index,
                    content_index=0,
                    part={**empty_part, "text": text},
                )
            else:
                arguments = item["arguments"]
                emit(
                    "response.output_item.added",
                    output_index=index,
                    item={**item, "status": "in_progress", "arguments": ""},
                )
                for piece in split_fixed(arguments, 6):
                    emit(
                        "response.function_call_arguments.delta",
                        item_id=item_id,
                        output_index=index,
                        delta=piece,
                        obfuscation=ctx.ids("", ctx.rng.randint(1, 16)),
                    )
                emit(
                    "response.function_call_arguments.done",
                    item_id=item_id,
                    output_index=index,
                    arguments=arguments,
                    name=item["name"],
                )
            emit("response.output_item.done", output_index=index, item=item)
        status = "incomplete" if reply.finish == "length" else "completed"
        final = self._response(
            request, ctx, response_id, status=status, output=items, usage=self._usage(reply)
        )
        emit("response.incomplete" if status == "incomplete" else "response.completed", response=final)
        return events

    def render_error(self, error: ErrorSpec, ctx: RenderContext) -> Rendered:
        media = "application/json; charset=utf-8" if error.status == 404 else "application/json"
        return Rendered(error.status, dumps_pretty(openai_error(error)), media, openai_headers(ctx))

    def stream_error_event(self, error: ErrorSpec, ctx: RenderContext, sequence_number: int) -> str:
        inner = openai_error(error)["error"]
        payload = {
            "type": "error",
            "code": inner["code"] or inner["type"],
            "message": inner["message"],
            "param": inner["param"],
            "sequence_number": sequence_number,
        }
        return sse_event("error", dumps_compact(payload))

    def malformed_event(self, ctx: RenderContext, sequence_number: int) -> str:
        return sse_event(
            "response.output_text.delta",
            '{"type":"response.output_text.delta","sequence_number":'
            + str(sequence_number)
            + ',"delta":"cut',
        )

    def auth_error(self, present: bool, ctx: RenderContext) -> Rendered:
        return openai_auth_error(present, ctx)

    def response_headers(self, ctx: RenderContext) -> dict[str, str]:
        return openai_headers(ctx)
