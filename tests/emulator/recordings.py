"""Helpers for comparing the emulator's wire output with the recorded real traffic in realtraffic/.

The recordings are the reference for *shape*, not content: a recording's request body is replayed
against the emulator with a scripted turn carrying the same kind of content as the recorded answer
(text, tool calls, reasoning, or the error status), so that differences in the key structure or SSE
framing are differences in rendering, not in what the rule-based model chose to say.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agentkit.emulator import Call, Fault, Turn
from tests._paths import REALTRAFFIC

RECORDINGS = REALTRAFFIC

# Values that are data, not structure: tool arguments, schemas, free-form metadata.
_OPAQUE_KEYS = {"input", "args", "response", "metadata", "parameters", "parameters_json_schema", "schema"}


def load(path: Path) -> dict[str, Any]:
    """One recording file."""
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def recordings(vendor: str) -> list[Path]:
    """The recording files of a vendor, sorted by name."""
    return sorted((RECORDINGS / vendor).glob("*.json"))


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path in a JSON value ("choices[].message.tool_calls[].id"); list items are merged."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            if key not in _OPAQUE_KEYS:
                paths |= key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, prefix + "[]")
    return paths


@dataclass
class SseShape:
    """The framing and per-event key structure of an SSE (or JSON-array) stream body."""

    framing: str  # "event+data", "data-only", "json-array", "plain-json"
    line_end: str  # "\n" or "\r\n"
    done_marker: bool
    event_names: list[str] = field(default_factory=list)
    keys_by_event: dict[str, set[str]] = field(default_factory=dict)
    payloads: list[Any] = field(default_factory=list)


def parse_stream(text: str) -> SseShape:
    """Split a recorded or emulated stream body into events and describe its framing."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        items = json.loads(text)
        shape = SseShape("json-array", "\r\n" if "\n,\r\n" in text else "\n", False, payloads=items)
        for item in items:
            shape.event_names.append("chunk")
            shape.keys_by_event.setdefault("chunk", set()).update(key_paths(item))
        return shape
    if stripped.startswith("{"):
        return SseShape("plain-json", "\n", False, payloads=[json.loads(text)])
    line_end = "\r\n" if "\r\n\r\n" in text else "\n"
    blocks = [b for b in text.split(line_end + line_end) if b.strip()]
    has_events = any(line.startswith("event:") for b in blocks for line in b.split(line_end))
    shape = SseShape("event+data" if has_events else "data-only", line_end, False)
    for block in blocks:
        name = None
        data_lines = []
        for line in block.split(line_end):
            if line.startswith("event:"):
                name = line[len("event:") :].strip()
            elif line.startswith("data:"):
                data_lines.append(line[len("data:") :].strip())
        data = "\n".join(data_lines)
        if data == "[DONE]":
            shape.done_marker = True
            continue
        payload = json.loads(data)
        if name is None:
            name = _chunk_kind(payload)
        shape.event_names.append(name)
        shape.payloads.append(payload)
        shape.keys_by_event.setdefault(name, set()).update(key_paths(payload))
    return shape


def _chunk_kind(payload: Any) -> str:
    """A name for data-only chunks, so that usage-only chunks are compared separately."""
    if isinstance(payload, dict) and payload.get("choices") == [] and "usage" in payload:
        return "usage-chunk"
    return "chunk"


# -- what a recording says ---------------------------------------------------------------------


def door_and_path(recording: dict[str, Any]) -> tuple[str, str]:
    """The emulator path for a recorded request URL, and its door."""
    url = urlsplit(recording["request"]["url"])
    query = f"?{url.query}" if url.query else ""
    vendor = recording["vendor"]
    if vendor == "anthropic":
        return "anthropic", "/anthropic" + url.path + query
    if vendor == "gemini":
        return "gemini", url.path + query
    return "openai", url.path + query


def turn_for(recording: dict[str, Any]) -> Turn:
    """A scripted turn with the same kind of content as the recorded answer (or its error status)."""
    status = recording["status"]
    body = recording["response_body"]
    if status >= 400:
        if isinstance(body, str):
            body = json.loads(body)
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
        return Turn(fault=Fault.http_error(status, message))
    text, reasoning, calls = _content(recording["vendor"], body, bool(recording["stream"]))
    return Turn(text=text, reasoning=reasoning, tool_calls=calls)


def _content(vendor: str, body: Any, stream: bool) -> tuple[str | None, str | None, list[Call]]:
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[Call] = []
    if vendor == "openai":
        if stream:
            by_index: dict[int, dict[str, str]] = {}
            for chunk in parse_stream(body).payloads:
                for choice in chunk.get("choices", []):
                    delta = choice.get("delta", {})
                    texts.append(delta.get("content") or "")
                    thoughts.append(delta.get("reasoning_content") or "")
                    for call in delta.get("tool_calls") or []:
                        entry = by_index.setdefault(call["index"], {"name": "", "arguments": ""})
                        entry["name"] += call.get("function", {}).get("name") or ""
                        entry["arguments"] += call.get("function", {}).get("arguments") or ""
            calls = [Call(c["name"], c["arguments"]) for _, c in sorted(by_index.items())]
        else:
            message = body["choices"][0]["message"]
            texts.append(message.get("content") or "")
            thoughts.append(message.get("reasoning_content") or "")
            calls = [
                Call(c["function"]["name"], c["function"]["arguments"])
                for c in message.get("tool_calls") or []
            ]
        has_text = any(texts) or (not calls)
        return ("".join(texts) if has_text else None), ("".join(thoughts) or None), calls
    if vendor == "anthropic":
        blocks = body["content"] if not stream else _anthropic_blocks(body)
        for block in blocks:
            if block["type"] == "text":
                texts.append(block["text"])
            elif block["type"] == "thinking":
                thoughts.append(block["thinking"])
            elif block["type"] == "tool_use":
                calls.append(Call(block["name"], block["input"]))
        return ("".join(texts) if texts else None), ("".join(thoughts) or None), calls
    chunks = parse_stream(body).payloads if stream else [body]
    for chunk in chunks:
        for part in chunk["candidates"][0]["content"].get("parts", []):
            if "functionCall" in part:
                calls.append(Call(part["functionCall"]["name"], part["functionCall"].get("args", {})))
            elif part.get("thought"):
                thoughts.append(part.get("text", ""))
            elif "text" in part:
                texts.append(part["text"])
    has_text = any(texts) or not calls
    return ("".join(texts) if has_text else None), ("".join(thoughts) or None), calls


def _anthropic_blocks(body: str) -> list[dict[str, Any]]:
    blocks: dict[int, dict[str, Any]] = {}
    partial: dict[int, str] = {}
    for payload in parse_stream(body).payloads:
        kind = payload.get("type")
        if kind == "content_block_start":
            blocks[payload["index"]] = dict(payload["content_block"])
        elif kind == "content_block_delta":
            delta = payload["delta"]
            block = blocks[payload["index"]]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "input_json_delta":
                partial[payload["index"]] = partial.get(payload["index"], "") + delta["partial_json"]
    for index, text in partial.items():
        blocks[index]["input"] = json.loads(text) if text else {}
    return [blocks[i] for i in sorted(blocks)]


def case_letter(path: Path) -> str:
    """The case letter of a recording file name ("a" for a_single_tool_call__...)."""
    match = re.match(r"([a-h])_", path.name)
    return match.group(1) if match else "?"
