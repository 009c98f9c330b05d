"""Vision end to end: `agent(prompt, images=[...])` on the emulator, through the official SDKs.

Each image source reaches each dialect in its own wire form (OpenAI `image_url`, Responses
`input_image`, Anthropic `image` blocks, Gemini `inlineData`/`fileData`) with the bytes and the
sniffed type intact; images in the history survive a vendor switch; tools can return images; and
an image is base64-encoded once however many turns re-send it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit.messages import Image

PIL = pytest.importorskip("PIL.Image")

MODELS = ["gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]
URL = "https://example.com/photos/cat.jpg"


def _png(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    PIL.new("RGB", size, "green").save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


@pytest.fixture(scope="module")
def relay() -> Iterator[Any]:
    with ak.emulator.serve() as relay:
        yield relay


@pytest.fixture(autouse=True)
def _fresh(relay: Any) -> None:
    relay.emulator.reset()


def _b64(text: str) -> bytes:
    """Either base64 alphabet (google-genai sends URL-safe) -> bytes."""
    return base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))


def _get(data: dict[str, Any], snake: str) -> Any:
    head, *rest = snake.split("_")
    return data.get(snake, data.get(head + "".join(w.title() for w in rest)))


def wire_images(door: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every image in a request body, in message order: {"mime", "data" | "url", "detail"?}, per wire form."""
    found: list[dict[str, Any]] = []

    def from_url(url: str, mime: str | None = None, detail: Any = None) -> None:
        if url.startswith("data:"):
            header, _, payload = url.partition(",")
            found.append({"mime": header[5:].split(";")[0], "data": _b64(payload), "detail": detail})
        else:
            found.append({"mime": mime, "url": url, "detail": detail})

    if door == "openai":
        for message in body["messages"]:
            for block in message["content"] if isinstance(message.get("content"), list) else ():
                if block["type"] == "image_url":
                    from_url(block["image_url"]["url"], detail=block["image_url"].get("detail"))
    elif door == "responses":
        for item in body["input"]:
            blocks = item.get("content") if isinstance(item.get("content"), list) else item.get("output")
            for block in blocks if isinstance(blocks, list) else ():
                if block.get("type") == "input_image":
                    from_url(block["image_url"], detail=block.get("detail"))
    elif door == "anthropic":
        for message in body["messages"]:
            blocks = message["content"] if isinstance(message["content"], list) else []
            for block in blocks:
                inner = block.get("content") if block["type"] == "tool_result" else [block]
                for item in inner if isinstance(inner, list) else ():
                    if item["type"] != "image":
                        continue
                    source = item["source"]
                    if source["type"] == "url":
                        found.append({"mime": None, "url": source["url"], "detail": None})
                    else:
                        found.append({"mime": source["media_type"], "data": _b64(source["data"]), "detail": None})
    elif door == "gemini":
        for content in body["contents"]:
            for part in content["parts"]:
                response = _get(part, "function_response")
                inner = (response or {}).get("parts") or [part]
                for item in inner:
                    inline, file_data = _get(item, "inline_data"), _get(item, "file_data")
                    if inline:
                        found.append({"mime": _get(inline, "mime_type"), "data": _b64(inline["data"]), "detail": None})
                    elif file_data:
                        found.append({"mime": _get(file_data, "mime_type"), "url": _get(file_data, "file_uri"),
                                      "detail": None})
    else:  # pragma: no cover - a new door needs its reader here
        raise AssertionError(door)
    return found


def _sources(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "chart.png"
    path.write_bytes(PNG)
    return {
        "str path": str(path),
        "Path": path,
        "bytes": PNG,
        "PIL image": PIL.open(io.BytesIO(PNG)),
        "ak.Image": Image(data=PNG),
        "data URL": "data:image/png;base64," + base64.b64encode(PNG).decode(),
    }


@pytest.mark.parametrize("model", MODELS)
def test_every_image_source_reaches_every_dialect(relay: Any, model: str, tmp_path: Path) -> None:
    for label, source in _sources(tmp_path).items():
        agent = ak.Agent(model, relay=relay, display=False)
        reply = agent("What is in this picture?", images=[source])
        record = relay.emulator.log.last
        (sent,) = wire_images(record.door, record.body)
        assert sent["mime"] == "image/png", label
        if label == "PIL image":  # re-encoded once, as PNG
            assert PIL.open(io.BytesIO(sent["data"])).size == (64, 48)
        else:
            assert sent["data"] == PNG, label
        assert "PNG image, 64x48 pixels" in reply.text, label  # the emulator looked at the real bytes


@pytest.mark.parametrize("model", MODELS)
def test_an_url_is_sent_as_an_url(relay: Any, model: str) -> None:
    agent = ak.Agent(model, relay=relay, display=False)
    reply = agent("Describe it", images=[URL])
    record = relay.emulator.log.last
    (sent,) = wire_images(record.door, record.body)
    assert sent["url"] == URL
    if record.door == "gemini":
        assert sent["mime"] == "image/jpeg"  # Gemini's fileData needs a type: the file name's
    assert URL in reply.text


@pytest.mark.parametrize("model", ["gpt-4o", "responses:gpt-4o"])
def test_openai_detail_is_sent(relay: Any, model: str) -> None:
    agent = ak.Agent(model, relay=relay, display=False)
    agent("Describe", images=[ak.images.to_image(PNG, detail="low")])
    record = relay.emulator.log.last
    (sent,) = wire_images(record.door, record.body)
    assert sent["detail"] == "low"


def test_the_type_sent_is_the_one_in_the_bytes(relay: Any, tmp_path: Path) -> None:
    jpeg = io.BytesIO()
    PIL.new("RGB", (10, 10)).save(jpeg, format="JPEG")
    path = tmp_path / "not-really.png"
    path.write_bytes(jpeg.getvalue())
    for model in MODELS:
        ak.Agent(model, relay=relay, display=False)("Describe", images=[path])
        record = relay.emulator.log.last
        assert [i["mime"] for i in wire_images(record.door, record.body)] == ["image/jpeg"], model


def test_images_in_the_history_survive_vendor_switches(relay: Any) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    agent("Remember this chart.", images=[PNG, URL])
    for model in ["claude-sonnet-4-5", "gemini-2.5-pro", "responses:gpt-4o", "gpt-4o"]:
        agent.model = model
        agent("What did I show you?")
        record = relay.emulator.log.last
        sent = wire_images(record.door, record.body)
        assert [s.get("data") for s in sent] == [PNG, None], model
        assert sent[1]["url"] == URL, model


def test_large_images_are_downscaled_before_they_are_sent(relay: Any) -> None:
    big = _png((4000, 3000))
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)
    agent("Describe", images=[big])
    (sent,) = wire_images("anthropic", relay.emulator.log.last.body)
    assert PIL.open(io.BytesIO(sent["data"])).size == (ak.images.DEFAULT_MAX_SIDE, 1176)


def test_an_image_is_encoded_once_for_every_turn(relay: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import agentkit.messages as messages

    calls: list[int] = []
    real = messages.base64.b64encode

    def counting(data: bytes, *args: Any) -> bytes:
        if data == PNG:
            calls.append(1)
        return real(data, *args)

    monkeypatch.setattr(messages.base64, "b64encode", counting)
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    agent("One", images=[PNG])
    for model in ["gpt-4o", "claude-sonnet-4-5", "responses:gpt-4o"]:
        agent.model = model
        agent("Again")
    assert len(relay.emulator.log) == 4
    assert len(calls) == 1


@ak.tool
def screenshot() -> Any:
    """Take a screenshot of the screen."""
    return PIL.new("RGB", (320, 200), "blue")


@pytest.mark.parametrize("model", MODELS)
def test_tools_can_return_images(relay: Any, model: str) -> None:
    agent = ak.Agent(model, tools=[screenshot], relay=relay, display=False)
    reply = agent("Take a screenshot please")
    assert [c.name for c in reply.tool_calls] == ["screenshot"]
    record = relay.emulator.log.last  # the request that carried the result back
    sent = wire_images(record.door, record.body)
    if record.door == "openai":  # Chat Completions tool messages are text only: a placeholder says so
        assert sent == []
        tool = next(m for m in record.body["messages"] if m["role"] == "tool")
        assert "image/png 320x200" in tool["content"]
    else:
        assert len(sent) == 1 and sent[0]["mime"] == "image/png"
        assert PIL.open(io.BytesIO(sent[0]["data"])).size == (320, 200)
