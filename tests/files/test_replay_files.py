"""Real request bodies that carried files (public cassettes, see realtraffic/INDEX.md), against our encoders.

For every recorded request that holds a file (any recording under `realtraffic/`, so new ones are
picked up): `ak.from_dialect` reads the files back with their real type, `ak.to_dialect` writes
them in exactly the recorded shape, and the same bytes passed to `agent(prompt, files=[...])` go
out in that shape too, while a loopback server answers with the recorded response. A recorded
tool result holding a document is matched by what a tool returning `ak.File` sends.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit.messages import FilePart, Message, TextPart, ToolCallPart, ToolResultPart
from agentkit.tools import result_to_content
from tests._paths import REALTRAFFIC
from tests.files._wire import comparable, wire_files
from tests.vision._recorded import answer, serve


def _dialect(path: Path, recording: dict[str, Any]) -> str:
    if recording["request"]["url"].split("?")[0].endswith("/responses"):
        return "responses"
    return path.parent.name


def _cases() -> list[tuple[str, Path]]:
    found = []
    for path in sorted([*REALTRAFFIC.glob("*/*.json"), *REALTRAFFIC.glob("files/*/*.json")]):
        recording = json.loads(path.read_text(encoding="utf-8"))
        body = recording.get("request", {}).get("body")
        if isinstance(body, dict) and path.parent.name in ("openai", "responses", "anthropic", "gemini"):
            dialect = _dialect(path, recording)
            if wire_files(dialect, body):
                found.append((dialect, path))
    return found


CASES = _cases()
pytestmark = pytest.mark.skipif(not CASES, reason="no recorded request carries a file")


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _same(dialect: str, mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert [comparable(dialect, b) for b in wire_files(dialect, mine)] == [
        comparable(dialect, b) for b in wire_files(dialect, theirs)
    ]


@pytest.mark.parametrize(("dialect", "path"), CASES, ids=[p.stem for _, p in CASES])
def test_recorded_files_decode_with_their_type_and_encode_back_unchanged(dialect: str, path: Path) -> None:
    body = _load(path)["request"]["body"]
    history = ak.from_dialect(dialect, body)
    files = [p.file for m in history for p in [*m.parts, *(c for r in m.tool_results for c in r.content)]
             if isinstance(p, FilePart)]
    assert len(files) == len(wire_files(dialect, body))
    for file in files:
        assert file.data is not None
        assert file.mime_type == ak.File(file.data).mime_type  # what the bytes are, as the wire said
    _same(dialect, ak.to_dialect(dialect, history), body)


def _model(dialect: str, recording: dict[str, Any]) -> str:
    if dialect == "gemini":
        return "gemini:" + recording["request"]["url"].split("/models/")[1].split(":")[0]
    return f"{dialect}:{recording['request']['body']['model']}"


def _answer_text(dialect: str, recording: dict[str, Any]) -> str:
    if dialect != "responses":
        return str(answer(dialect, recording)["text"])
    return "".join(c["text"] for item in recording["response_body"]["output"] if item["type"] == "message"
                   for c in item["content"] if c["type"] == "output_text")


@pytest.mark.parametrize(("dialect", "path"), CASES, ids=[p.stem for _, p in CASES])
def test_the_same_files_sent_through_the_agent_go_out_in_the_recorded_shape(dialect: str, path: Path) -> None:
    recording = _load(path)
    body = recording["request"]["body"]
    history = ak.from_dialect(dialect, body)
    last = history.pop()
    if last.role == "tool":
        pytest.skip("a tool result: see the tool-return test")
    assert last.role == "user"
    text = "".join(p.text for p in last.parts if isinstance(p, TextPart))
    # What a user has: the bytes, and the file's name where the request named it.
    files = [ak.File(p.file.data, name=p.file.name) if p.file.name else p.file.data
             for p in last.parts if isinstance(p, FilePart)]
    relay_error = recording["status"] != 200  # an error recording: the request shape still counts
    with serve(recording) as server:
        relay = ak.Relay(server.url, api_key="sk-replay", max_retries=0)
        agent = ak.Agent(_model(dialect, recording), relay=relay, display=False, cache=False)  # the recordings carry no caching hints
        agent.history = history
        if relay_error:
            with pytest.raises(ak.RelayError):
                agent(text, files=files)
        else:
            reply = agent(text, files=files)
    (sent,) = server.posts
    _same(dialect, sent, body)
    if not relay_error:
        assert reply.text == _answer_text(dialect, recording)


TOOL_RESULTS = [(d, p) for d, p in CASES if any(m.role == "tool" for m in ak.from_dialect(d, _load(p)["request"]["body"]))]


@pytest.mark.parametrize(("dialect", "path"), TOOL_RESULTS, ids=[p.stem for _, p in TOOL_RESULTS])
def test_a_tool_returning_the_file_sends_the_recorded_tool_result(dialect: str, path: Path) -> None:
    body = _load(path)["request"]["body"]
    history = ak.from_dialect(dialect, body)
    (result,) = [r for m in history for r in m.tool_results if any(isinstance(c, FilePart) for c in r.content)]
    (returned,) = [c.file for c in result.content if isinstance(c, FilePart)]
    assert returned.data is not None
    call = next(c for m in history for c in m.tool_calls if c.id == result.call_id)
    # The tool returns the bytes as an `ak.File`; its result is encoded in the same place as the recording's.
    mine = [*history[: history.index(next(m for m in history if result in m.tool_results))],
            Message("tool", [ToolResultPart(call.id, call.name, result_to_content(ak.File(returned.data)))])]
    assert isinstance(mine[-2].parts[-1], ToolCallPart)
    _same(dialect, ak.to_dialect(dialect, mine), body)
