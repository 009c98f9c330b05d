"""Files at the emulator's three doors: accepted and described in each wire form, malformed ones refused.

Raw HTTP bodies (the vendors' documented shapes, not agentkit's encoders), so the emulator is
checked as a server: what it answers about the bytes, and a 400 in the door's own error shape
where the vendor would refuse the request.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from agentkit.emulator import Emulator
from tests.files._samples import NOTES, pdf, wav

PDF64 = base64.b64encode(pdf(3)).decode()
WAV64 = base64.b64encode(wav(2.0)).decode()
CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
MESSAGES = "/anthropic/v1/messages"
GEMINI = "/v1beta/models/gemini-2.5-flash:generateContent"


def _chat(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": [{"type": "text", "text": "What is it?"},
                                                                         *parts]}]}


def _claude(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"model": "claude-sonnet-4-5", "max_tokens": 100,
            "messages": [{"role": "user", "content": [*blocks, {"type": "text", "text": "What is it?"}]}]}


def _gemini(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": "What is it?"}, *parts]}]}


def _text(path: str, body: dict[str, Any]) -> str:
    if path == MESSAGES:
        return "".join(b["text"] for b in body["content"] if b["type"] == "text")
    if path == GEMINI:
        return "".join(p.get("text", "") for p in body["candidates"][0]["content"]["parts"])
    if path == RESPONSES:
        return "".join(c["text"] for i in body["output"] if i["type"] == "message" for c in i["content"])
    return str(body["choices"][0]["message"]["content"])


@pytest.mark.parametrize(
    ("path", "body", "said"),
    [
        (MESSAGES, _claude({"type": "document", "title": "report.pdf",
                            "source": {"type": "base64", "media_type": "application/pdf", "data": PDF64}}),
         "a PDF of 3 pages named report.pdf"),
        (MESSAGES, _claude({"type": "document", "title": "notes.md",
                            "source": {"type": "text", "media_type": "text/plain", "data": NOTES}}),
         "a text file named notes.md of 4 lines"),
        (MESSAGES, _claude({"type": "document", "source": {"type": "url", "url": "https://x.org/a.pdf"}}),
         "a remote PDF at https://x.org/a.pdf"),
        (CHAT, _chat({"type": "file", "file": {"filename": "report.pdf",
                                               "file_data": f"data:application/pdf;base64,{PDF64}"}}),
         "a PDF of 3 pages named report.pdf"),
        (CHAT, _chat({"type": "input_audio", "input_audio": {"data": WAV64, "format": "wav"}}),
         "a WAV audio file of 2.0 seconds"),
        (RESPONSES, {"model": "gpt-4o", "input": [{"role": "user", "content": [
            {"type": "input_file", "filename": "report.pdf", "file_data": f"data:application/pdf;base64,{PDF64}"},
            {"type": "input_text", "text": "What is it?"}]}]}, "a PDF of 3 pages named report.pdf"),
        (GEMINI, _gemini({"inlineData": {"mimeType": "application/pdf", "data": PDF64}}), "a PDF of 3 pages"),
        (GEMINI, _gemini({"inline_data": {"mime_type": "audio/wav", "data": WAV64}}), "a WAV audio file of 2.0 seconds"),
    ],
)
def test_each_door_describes_the_file_it_received(em: Emulator, http: Any, path: str, body: dict[str, Any],
                                                   said: str) -> None:
    response = http.post(em.url + path, json=body)
    assert response.status_code == 200, response.text
    assert said in _text(path, response.json())


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        (MESSAGES, _claude({"type": "document", "source": {"type": "base64", "media_type": "image/png",
                                                            "data": PDF64}}),
         "messages.0.content.0.document.source.base64.media_type: Input should be 'application/pdf'"),
        (MESSAGES, _claude({"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                                            "data": base64.b64encode(b"<html>").decode()}}),
         "The PDF specified was not valid."),
        (MESSAGES, _claude({"type": "document", "source": {"type": "zip", "data": "x"}}),
         "Input tag 'zip' found using 'type' does not match any of the expected tags"),
        (CHAT, _chat({"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF64}"}}),
         "Missing required parameter: 'messages[0].content[1].file.filename'."),
        (CHAT, _chat({"type": "file", "file": {"filename": "a.txt", "file_data": "data:text/plain;base64,aGk="}}),
         "Chat Completions file inputs must be PDF files."),
        (CHAT, _chat({"type": "input_audio", "input_audio": {"data": WAV64, "format": "flac"}}),
         "Invalid value: 'flac'. Supported values are: 'wav' and 'mp3'."),
        (RESPONSES, {"model": "gpt-4o", "input": [{"role": "user", "content": [{"type": "input_file"}]}]},
         "needs one of 'file_data', 'file_id' or 'file_url'"),
        (GEMINI, _gemini({"inlineData": {"mimeType": "application/zip", "data": PDF64}}),
         "Unsupported MIME type: application/zip"),
        (GEMINI, _gemini({"inlineData": {"mimeType": "application/pdf", "data": "!!!"}}), "Base64 decoding failed"),
    ],
)
def test_a_malformed_file_is_refused_as_the_vendor_would(em: Emulator, http: Any, path: str, body: dict[str, Any],
                                                         error: str) -> None:
    response = http.post(em.url + path, json=body)
    assert response.status_code == 400
    assert error in response.text
