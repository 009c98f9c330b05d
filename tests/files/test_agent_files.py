"""Files end to end: `agent(prompt, files=[...])` on the emulator, through the official SDKs.

A PDF and a WAV reach every dialect that carries them and the emulator reports what the bytes
are; a type a dialect cannot carry fails before any request and leaves the history as it was;
`files=` works in `stream`, `arun`, `astream` and `ak.batch` inputs; files stay in the history
across a vendor switch; tools can return files.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit.events import TextDelta
from agentkit.messages import FilePart
from tests.files._samples import pdf, wav
from tests.files._wire import wire_files

MODELS = ["gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]
DIALECT = {"gpt-4o": "openai", "responses:gpt-4o": "responses", "claude-sonnet-4-5": "anthropic",
           "gemini-2.5-pro": "gemini"}


pytestmark = pytest.mark.usefixtures("fresh")  # each test starts with an empty emulator log


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf(3))
    return path


def _sent(relay: Any, model: str) -> list[dict[str, Any]]:
    record = relay.emulator.log.last
    return wire_files(DIALECT[model], record.body)


@pytest.mark.parametrize("model", MODELS)
def test_a_pdf_path_reaches_every_dialect(relay: Any, model: str, report: Path) -> None:
    agent = ak.Agent(model, relay=relay, display=False)
    reply = agent("Summarise this report", files=str(report))  # one path, no list
    assert len(_sent(relay, model)) == 1
    named = "" if model.startswith("gemini") else " named report.pdf"  # Gemini parts carry no name
    assert f"The file is a PDF of 3 pages{named}" in reply.text
    (part,) = [p for p in agent.history[0].parts if isinstance(p, FilePart)]
    assert part.file.name == "report.pdf" and part.file.pages == 3


@pytest.mark.parametrize("model", ["gpt-4o", "gemini-2.5-pro"])
def test_audio_reaches_the_dialects_that_take_it(relay: Any, model: str) -> None:
    reply = ak.Agent(model, relay=relay, display=False)("Transcribe", files=[ak.File(wav(1.5), mime_type="audio/wav")])
    assert "The file is a WAV audio file of 1.5 seconds" in reply.text


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "responses:gpt-4o"])
def test_a_type_the_dialect_cannot_carry_fails_before_any_request(relay: Any, model: str) -> None:
    agent = ak.Agent(model, relay=relay, display=False)
    agent("Hello")
    before = list(agent.history)
    with pytest.raises(ak.ConfigurationError, match=r"cannot carry the file talk\.wav .* `openai`, `gemini`"):
        agent("Transcribe", files=[ak.File(wav(), name="talk.wav")])
    assert len(relay.emulator.log) == 1  # only the first run's request
    assert agent.history == before  # the prompt that could not be sent is not kept
    assert "Hello" in agent("Hello again").text  # and the agent goes on


def test_files_in_stream_arun_astream_and_batch(relay: Any, report: Path) -> None:
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)
    stream = agent.stream("Summarise", files=[report])
    text = "".join(e.text for e in stream if isinstance(e, TextDelta))
    assert "a PDF of 3 pages named report.pdf" in text

    async def both() -> tuple[Any, str]:
        first = await ak.Agent("gpt-4o", relay=relay, display=False).arun("Summarise", files=report)
        deltas = ""
        async for event in ak.Agent("gemini-2.5-pro", relay=relay, display=False).astream("Hi", files=[wav()]):
            if isinstance(event, TextDelta):
                deltas += event.text
        return first, deltas

    first, deltas = asyncio.run(both())
    assert "a PDF of 3 pages named report.pdf" in first.text and "WAV audio file" in deltas

    results = ak.batch(ak.Agent("gpt-4o", relay=relay, display=False),
                       [{"prompt": "Summarise", "files": [report]}, {"prompt": "Listen", "files": wav(2.0)}],
                       progress=False)
    assert "a PDF of 3 pages" in results[0].text and "2.0 seconds" in results[1].text


def test_files_stay_in_the_history_across_a_vendor_switch(relay: Any, report: Path) -> None:
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)
    agent("Summarise", files=[report])
    agent.model = "gemini-2.5-pro"
    agent("And the conclusion?")
    (inline,) = _sent(relay, "gemini-2.5-pro")
    assert inline["inlineData"]["mimeType"] == "application/pdf"
    agent.model = "gpt-4o"
    agent("Once more")
    (part,) = _sent(relay, "gpt-4o")
    assert part["file"]["filename"] == "report.pdf"


@ak.tool
def fetch_report() -> ak.File:
    """Fetch the quarterly report."""
    return ak.File(pdf(2), name="q3.pdf")


@pytest.mark.parametrize("model", MODELS)
def test_tools_can_return_files(relay: Any, model: str) -> None:
    agent = ak.Agent(model, tools=[fetch_report], relay=relay, display=False)
    reply = agent("Fetch the report please")
    assert [c.name for c in reply.tool_calls] == ["fetch_report"]
    sent = _sent(relay, model)  # the request that carried the result back
    if model == "gpt-4o":  # Chat tool messages are text only: a placeholder names the file
        assert sent == []
        tool = next(m for m in relay.emulator.log.last.body["messages"] if m["role"] == "tool")
        assert "q3.pdf (application/pdf, 2 pages" in tool["content"]
    else:
        assert len(sent) == 1
        assert "a PDF of 2 pages" in reply.text  # the emulator read the returned bytes


def test_a_misspelt_keyword_points_to_files(relay: Any, report: Path) -> None:
    with pytest.raises(ak.ConfigurationError, match="use `files=`"):
        ak.Agent("gpt-4o", relay=relay, display=False)("Summarise", file=report)
    with pytest.raises(ak.ConfigurationError, match="There is no file at"):
        ak.Agent("gpt-4o", relay=relay, display=False)("Summarise", files=["nope.pdf"])
    assert len(relay.emulator.log) == 0
