"""The recorded vision exchanges (`realtraffic/*/e_*`), replayed through `agent(prompt, images=[...])`.

The recorded prompt and image (its bytes, or its URL) go in through `images=`; the loopback server
answers with the recorded body (or stream). We check that the agent sent the image in the
dialect's form with the same bytes or URL and the sniffed type, and that the reply (and, for
streams, the text deltas) is what the recording says the model answered. New recordings in the
folders are picked up automatically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit.events import TextDelta
from agentkit.messages import ImagePart, TextPart
from tests.vision._recorded import answer, cases, is_json_array_stream, load, model_of, serve
from tests.vision.test_agent_vision import wire_images

CASES = cases("e")
DOORS = {"openai": "openai", "anthropic": "anthropic", "gemini": "gemini"}


def _prompt(vendor: str, body: dict[str, Any]) -> tuple[list[ak.Message], str, list[Any]]:
    """The recorded history before the last user message, that message's text, and its images."""
    history = ak.from_dialect(vendor, body)
    last = history.pop()
    assert last.role == "user"
    text = "".join(p.text for p in last.parts if isinstance(p, TextPart))
    images = [p.image.data if p.image.data is not None else p.image.url for p in last.parts if isinstance(p, ImagePart)]
    return history, text, images


@pytest.mark.skipif(not CASES, reason="no vision recordings found")
@pytest.mark.parametrize(("vendor", "path"), CASES, ids=[p.stem for _, p in CASES])
def test_vision_recording_replays_through_the_agent(vendor: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recording = load(path)
    if is_json_array_stream(recording):
        pytest.skip("a Gemini JSON-array stream cannot be requested through the SDK")
    # Sent exactly as recorded: no downscaling, so the bytes can be compared.
    monkeypatch.setattr(ak.images, "limits", ak.images.ImageLimits(None, None))
    body = recording["request"]["body"]
    history, text, images = _prompt(vendor, body)
    recorded_images = wire_images(DOORS[vendor], body)
    assert recorded_images, "a vision recording holds an image"
    expected = answer(vendor, recording)

    with serve(recording) as server:
        relay = ak.Relay(server.url, api_key="sk-replay-test")
        agent = ak.Agent(model_of(vendor, recording), relay=relay, display=False)
        agent.history = history
        if recording.get("stream"):
            stream = agent.stream(text, images=images)
            deltas = "".join(e.text for e in stream if isinstance(e, TextDelta))
            reply = stream.reply
            assert reply is not None
            assert deltas == expected["text"]
        else:
            reply = agent(text, images=images)
    assert reply.text == expected["text"]
    assert reply.turns == 1

    (sent,) = server.posts
    assert len(wire_images(DOORS[vendor], sent)) == len(recorded_images)
    for mine, theirs in zip(wire_images(DOORS[vendor], sent), recorded_images, strict=True):
        if "url" in theirs:
            assert mine.get("url") == theirs["url"]
        else:
            assert mine["data"] == theirs["data"]  # byte for byte
            assert mine["mime"] == ak.images.sniff_mime_type(theirs["data"])
    assert [m.role for m in agent.history][-2:] == ["user", "assistant"]
