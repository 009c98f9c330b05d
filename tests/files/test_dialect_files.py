"""Each dialect's wire form for files, what it refuses, and the way back (`ak.to_dialect` / `ak.from_dialect`).

The expected shapes are the vendors' documented ones (cited in the dialect modules): Anthropic
`document` blocks, Chat `file` / `input_audio` parts, Responses `input_file`, Gemini
`inlineData` / `fileData`. A type a dialect cannot carry raises before anything is sent, naming
the type and the dialects that can; in a tool result it becomes a placeholder that says so.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

import agentkit as ak
from agentkit.messages import File, FilePart, Message, TextPart, ToolCallPart, ToolResultPart
from agentkit.tools import result_to_content
from tests.files._samples import FLAC, MP3, NOTES, pdf, wav

PDF = pdf(3)
REPORT = File(PDF, name="report.pdf")
PDF64 = base64.b64encode(PDF).decode()
NOTES_FILE = File(NOTES.encode(), name="notes.md")
PAPER = File(url="https://example.com/papers/attention.pdf")
DIALECTS = ("openai", "responses", "anthropic", "gemini")


def _user_content(dialect: str, *files: File) -> list[dict[str, Any]]:
    fragment = ak.to_dialect(dialect, [Message.user("Summarise", *files)])
    if dialect == "gemini":
        return list(fragment["contents"][0]["parts"])
    key = "input" if dialect == "responses" else "messages"
    return list(fragment[key][-1]["content"])


def test_a_pdf_in_each_dialect_documented_form() -> None:
    assert _user_content("anthropic", REPORT)[1] == {
        "type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF64},
        "title": "report.pdf",
    }
    assert _user_content("openai", REPORT)[1] == {
        "type": "file", "file": {"filename": "report.pdf", "file_data": f"data:application/pdf;base64,{PDF64}"},
    }
    assert _user_content("responses", REPORT)[1] == {
        "type": "input_file", "filename": "report.pdf", "file_data": f"data:application/pdf;base64,{PDF64}",
    }
    assert _user_content("gemini", REPORT)[1] == {"inlineData": {"mimeType": "application/pdf", "data": PDF64}}


def test_a_pdf_url_where_the_vendor_fetches_urls() -> None:
    assert _user_content("anthropic", PAPER)[1] == {"type": "document", "source": {"type": "url", "url": PAPER.url}}
    assert _user_content("responses", PAPER)[1] == {"type": "input_file", "file_url": PAPER.url}
    assert _user_content("gemini", PAPER)[1] == {"fileData": {"mimeType": "application/pdf", "fileUri": PAPER.url}}
    with pytest.raises(ValueError, match=r"`openai` dialect .* from a URL; the dialects that can are "
                                         r"`responses`, `anthropic`, `gemini`\."):
        _user_content("openai", PAPER)


def test_plain_text_is_a_text_document_for_anthropic_and_named_text_elsewhere() -> None:
    assert _user_content("anthropic", NOTES_FILE)[1] == {
        "type": "document", "source": {"type": "text", "media_type": "text/plain", "data": NOTES}, "title": "notes.md",
    }
    for dialect in ("openai", "responses", "gemini"):
        (text,) = [p.get("text") for p in _user_content(dialect, NOTES_FILE)[1:]]
        assert text == f'<file name="notes.md">\n{NOTES}\n</file>', dialect


def test_audio_goes_where_the_vendor_takes_it() -> None:
    assert _user_content("openai", File(wav()))[1] == {
        "type": "input_audio", "input_audio": {"data": base64.b64encode(wav()).decode(), "format": "wav"},
    }
    assert _user_content("openai", File(MP3))[1]["input_audio"]["format"] == "mp3"
    assert _user_content("gemini", File(MP3))[1]["inlineData"]["mimeType"] == "audio/mp3"  # Google's spelling
    assert _user_content("gemini", File(FLAC))[1]["inlineData"]["mimeType"] == "audio/flac"


@pytest.mark.parametrize(
    ("dialect", "file", "able"),
    [
        ("anthropic", File(wav(), name="talk.wav"), "`openai`, `gemini`"),
        ("responses", File(wav(), name="talk.wav"), "`openai`, `gemini`"),
        ("openai", File(FLAC, name="song.flac"), "`gemini`"),
        ("anthropic", File(b"\x00\x00\x00\x20ftypisom", name="clip.mp4"), "`gemini`"),
    ],
)
def test_a_type_a_dialect_cannot_carry_raises_naming_the_dialects_that_can(dialect: str, file: File, able: str) -> None:
    with pytest.raises(ak.ConfigurationError) as info:
        _user_content(dialect, file)
    message = str(info.value)
    assert f"`{dialect}` dialect" in message and file.filename in message and repr(file.mime_type) in message
    assert f"the dialects that can are {able}." in message


@pytest.mark.parametrize("dialect", DIALECTS)
def test_files_come_back_from_the_wire_with_their_bytes_type_and_name(dialect: str) -> None:
    carried = [REPORT, File(wav()), NOTES_FILE, PAPER]
    carried = [f for f in carried if ak.dialects.base.load(dialect).carries_file(f)]
    history = [Message.user("Summarise", *carried), Message("assistant", [TextPart("Done.")])]
    back = ak.from_dialect(dialect, ak.to_dialect(dialect, history))
    files = [p.file for p in back[0].parts if isinstance(p, FilePart)]
    native = [f for f in carried if not (f.mime_type or "").startswith("text/") or dialect == "anthropic"]
    assert [(f.data, f.url, f.mime_type) for f in files] == [(f.data, f.url, f.mime_type) for f in native]
    if dialect != "gemini":  # Gemini's parts have no file name
        assert [f.name for f in files if f.data is not None and f.mime_type == "application/pdf"] == ["report.pdf"]
    assert back[1:] == history[1:] or back[1].text == "Done."


def _tool_history(*returned: Any) -> list[Message]:
    call = ToolCallPart("call_1", "fetch_report", {})
    content: tuple[Any, ...] = ()
    for value in returned:
        content += result_to_content(value)
    return [Message.user("Get the report"), Message("assistant", [call]),
            Message("tool", [ToolResultPart("call_1", "fetch_report", content)])]


def test_a_tool_may_return_a_file_where_the_dialect_carries_it() -> None:
    history = _tool_history(REPORT)
    anthropic = ak.to_dialect("anthropic", history)["messages"][-1]["content"][0]
    assert anthropic["content"][0]["type"] == "document" and anthropic["content"][0]["source"]["data"] == PDF64
    responses = ak.to_dialect("responses", history)["input"][-1]
    assert responses["output"][0] == {
        "type": "input_file", "filename": "report.pdf", "file_data": f"data:application/pdf;base64,{PDF64}",
    }
    gemini = ak.to_dialect("gemini", history)["contents"][-1]["parts"][0]["functionResponse"]
    assert gemini["parts"] == [{"inlineData": {"mimeType": "application/pdf", "data": PDF64}}]
    chat = ak.to_dialect("openai", history)["messages"][-1]
    assert chat["role"] == "tool" and "report.pdf (application/pdf, 3 pages" in chat["content"]
    assert "cannot take this file type in tool results" in chat["content"]
    for dialect in DIALECTS:  # and back, as a file (Chat keeps only the placeholder text)
        (result,) = ak.from_dialect(dialect, ak.to_dialect(dialect, history))[-1].tool_results
        kept = [p.file.data for p in result.content if isinstance(p, FilePart)]
        assert kept == ([] if dialect == "openai" else [PDF]), dialect


def test_a_file_no_tool_result_takes_becomes_a_placeholder_not_an_error() -> None:
    history = _tool_history("Here is the recording:", ak.File(wav(), name="call.wav"))
    anthropic = ak.to_dialect("anthropic", history)["messages"][-1]["content"][0]["content"]
    assert anthropic[0] == {"type": "text", "text": "Here is the recording:"}
    assert "call.wav (audio/wav" in anthropic[1]["text"]
    gemini = ak.to_dialect("gemini", history)["contents"][-1]["parts"][0]["functionResponse"]
    assert "call.wav (audio/wav" in gemini["response"]["output"] and "parts" not in gemini
    responses = ak.to_dialect("responses", history)["input"][-1]["output"]
    assert responses[1]["type"] == "input_text" and "call.wav" in responses[1]["text"]


def test_an_assistant_message_cannot_hold_a_file_where_the_wire_has_no_place_for_it() -> None:
    history = [Message.user("hi"), Message("assistant", [FilePart(REPORT)])]
    for dialect in ("openai", "responses", "anthropic"):
        with pytest.raises(ValueError, match="user message"):
            ak.to_dialect(dialect, history)
