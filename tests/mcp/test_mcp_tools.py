"""`ak.mcp` servers as tools: listing, schemas, results, options, HTTP with an auth header."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

import agentkit as ak
from agentkit.messages import ImagePart, TextPart
from agentkit.tools import result_to_content

from .conftest import SERVER


def test_a_server_lists_its_tools_as_ordinary_tools(server: ak.mcp.Server) -> None:
    tools = server.tools()
    names = [t.name for t in tools]
    assert names[:3] == ["shout", "add", "red_square"]
    assert all(isinstance(t, ak.Tool) and t.source == "agentkit-test" for t in tools)
    shout = tools[0]
    assert shout.description == "Repeat a text in capital letters."
    assert shout.to_schema("anthropic")["input_schema"]["required"] == ["text"]
    assert shout.to_schema("openai")["function"]["strict"] is True
    assert "parameters_json_schema" in shout.to_schema("gemini")
    assert "(connected, " in repr(server)


def test_include_picks_tools_and_an_unknown_name_says_which_there_are(server: ak.mcp.Server) -> None:
    assert [t.name for t in server.tools(include=["add", "shout"])] == ["add", "shout"]
    with pytest.raises(ak.ConfigurationError, match=r"no tool named 'nope'.*`shout`"):
        server.tools(include=["nope"])


def test_names_models_cannot_take_are_mapped_and_called_by_the_servers_name(server: ak.mcp.Server) -> None:
    note = server.tools(include=["notes.read"])[0]
    assert note.name == "notes_read" and server.tools(include=["notes_read"])[0].name == "notes_read"
    assert note.invoke({"title": "shopping"}) == {"result": "note shopping: buy milk"}


def test_arguments_are_validated_against_the_input_schema(server: ak.mcp.Server) -> None:
    add = server.tools(include=["add"])[0]
    with pytest.raises(ak.ToolArgumentsError, match="`b`"):
        add.invoke({"a": 1, "b": "two"})
    assert add.invoke({"a": 2, "b": 3}) == {"sum": 5}  # structuredContent: the data itself


def test_text_image_and_error_results(server: ak.mcp.Server) -> None:
    shout, square, refuse = server.tools(include=["shout", "red_square", "refuse"])
    assert shout.invoke({"text": "hi"}) == {"result": "HI"}  # the structured form, without its text copy
    value = square.invoke({"size": 5})
    assert isinstance(value, ak.Image)  # what `reply.tool_calls[i].result` holds; it shows as a picture
    parts = result_to_content(value)
    images = [p for p in parts if isinstance(p, ImagePart)]
    assert len(images) == 1 and images[0].image.mime_type == "image/png"
    assert (images[0].image.width, images[0].image.height) == (5, 5)
    with pytest.raises(ak.MCPError, match="refused: no reason") as caught:
        refuse.invoke({"reason": "no reason"})
    assert isinstance(caught.value, ak.AgentkitError)


def test_options_are_checked_when_the_server_is_made() -> None:
    with pytest.raises(ak.ConfigurationError, match="prefix"):
        ak.mcp.stdio("python", ["-m", "x"], prefix="a b")
    with pytest.raises(ak.ConfigurationError, match="timeout"):
        ak.mcp.stdio("python", ["-m", "x"], timeout=-1)
    with pytest.raises(ak.ConfigurationError, match="list of strings"):
        ak.mcp.stdio("python", "-m x")  # type: ignore[arg-type]
    with pytest.raises(ak.ConfigurationError, match="http"):
        ak.mcp.http("127.0.0.1:8000/mcp")
    with pytest.raises(ak.ConfigurationError, match="`env`"):
        ak.mcp.stdio("python", [], env={"DEBUG": 1})  # type: ignore[dict-item]
    with pytest.raises(ak.ConfigurationError, match=r"values not shown") as caught:
        ak.mcp.http("http://127.0.0.1:8000/mcp", headers={"Authorization": b"Bearer s3cret"})  # type: ignore[dict-item]
    assert "s3cret" not in str(caught.value)
    # A whole command line without `args` is split as a shell would (`uvx mcp-server-time`).
    split = ak.mcp.stdio("uvx mcp-server-time --local-timezone 'Europe/Paris'")
    assert repr(split).startswith("<ak.mcp.stdio `uvx mcp-server-time --local-timezone Europe/Paris` (not connected")


def test_a_missing_sdk_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mcp" else real(name, *a))
    with pytest.raises(ak.ConfigurationError, match=r"pip install 'agentkit\[mcp\]'"):
        ak.mcp.stdio("python", ["-m", "mcp_server_time"])


def test_importing_agentkit_imports_no_mcp_sdk() -> None:
    import subprocess

    code = "import sys, agentkit as ak; ak.mcp.stdio('python', ['-m', 'x']); print('mcp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_reference_time_server_over_stdio() -> None:
    with ak.mcp.stdio(sys.executable, ["-m", "mcp_server_time"]) as clock:
        now = clock.tools(include=["get_current_time"])[0]
        value = now.invoke({"timezone": "Europe/Paris"})
        assert value["timezone"] == "Europe/Paris" and "T" in value["datetime"]


class _NoFileno:
    """Like Jupyter's sys.stderr: it writes, but has no file descriptor."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        pass


async def test_a_stderr_without_fileno_inside_a_running_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", _NoFileno())
    # Also: prefix, approval and timeout apply to every tool; the server still gets its own names.
    async with ak.mcp.stdio(sys.executable, [SERVER, "stdio"], prefix="t_", approval=True, timeout=7) as server:
        tools = server.tools()  # sync, inside this test's running loop
        assert all(t.name.startswith("t_") and t.approval and t.timeout == 7 for t in tools)
        shout = server.tools(include=["t_shout"])[0]
        assert await shout.ainvoke({"text": "async"}) == {"result": "ASYNC"}
        again = await server.atools(include=["add"])
        assert [t.name for t in again] == ["t_add"]
        assert await again[0].ainvoke({"a": 1, "b": 1}) == {"sum": 2}
    assert not server.connected


async def test_concurrent_calls_share_one_session(server: ak.mcp.Server) -> None:
    meet, shout = server.tools(include=["meet", "shout"])
    # Each `meet` call waits on the server until the other has come too: sent one after the other,
    # the first would wait alone; sent together over the one session, they meet, however busy the machine.
    results = await asyncio.gather(meet.ainvoke({"parties": 2}), meet.ainvoke({"parties": 2}),
                                   shout.ainvoke({"text": "x"}))
    assert results == [{"result": "met"}, {"result": "met"}, {"result": "X"}]


def test_http_server_with_an_auth_header(http_server: tuple[str, str]) -> None:
    url, token = http_server
    with ak.mcp.http(url, headers={"Authorization": f"Bearer {token}"}) as docs:
        shout = docs.tools(include=["shout"])[0]
        assert shout.invoke({"text": "over http"}) == {"result": "OVER HTTP"}
        assert token not in repr(docs)


@pytest.mark.parametrize("headers", [None, {"Authorization": "Bearer wrong-token-123"}])
def test_http_401_is_a_clear_error_without_the_secret(http_server: tuple[str, str], headers: Any) -> None:
    url, _ = http_server
    with ak.mcp.http(url, headers=headers, connect_timeout=10) as docs, pytest.raises(ak.MCPError, match=r"HTTP 401 Unauthorized.*`headers=`") as caught:
        docs.tools()
    assert caught.value.status == 401
    assert "wrong-token-123" not in str(caught.value) and url in str(caught.value)


def test_http_server_not_running_names_the_url() -> None:
    with ak.mcp.http("http://127.0.0.1:9/mcp", connect_timeout=10) as docs, pytest.raises(ak.MCPError, match=r"http://127.0.0.1:9/mcp"):
        docs.tools()


def test_results_keep_text_blocks_that_are_not_the_structured_copy() -> None:
    from types import SimpleNamespace as NS

    from agentkit.mcp.results import tool_value

    result = NS(content=[NS(type="text", text='{"a": 1}'), NS(type="text", text="note"),
                         NS(type="resource_link", name="r", uri="file:///r", mime_type=None, description=None)],
                structured_content={"a": 1}, is_error=False)
    value = tool_value(result, tool="t", server="s")
    assert value.startswith('{"a": 1}') and "note" in value and "file:///r" in value
    assert result_to_content(value) == (TextPart(value),)


def test_the_text_copy_of_a_one_field_structured_result_is_not_sent_twice() -> None:
    """The reference filesystem server answers `{"content": text}` and the same text as a text block."""
    from types import SimpleNamespace as NS

    from agentkit.mcp.results import tool_value

    listing = "[FILE] a.txt\n[DIR] docs"
    result = NS(content=[NS(type="text", text=listing)], structured_content={"content": listing}, is_error=False)
    assert tool_value(result, tool="list_directory", server="fs") == {"content": listing}
    two = NS(content=[NS(type="text", text=listing)], structured_content={"content": listing, "n": 2}, is_error=False)
    assert listing in tool_value(two, tool="t", server="s").split("\n\n", 1)[1]  # not a copy: kept


def test_an_embedded_text_blob_is_read_as_text_and_a_binary_one_is_named() -> None:
    import base64
    from types import SimpleNamespace as NS

    from agentkit.mcp.results import tool_value

    def blob(data: bytes, mime: str) -> Any:
        resource = NS(uri="demo://r", mime_type=mime, blob=base64.b64encode(data).decode())
        return NS(content=[NS(type="resource", resource=resource)], structured_content=None, is_error=False)

    assert tool_value(blob(b"Resource 2: plain text", "text/plain"), tool="t", server="s") == "Resource 2: plain text"
    assert tool_value(blob(b'{"a": 1}', "application/json"), tool="t", server="s") == '{"a": 1}'
    named = tool_value(blob(b"\x00\x01", "application/octet-stream"), tool="t", server="s")
    assert "demo://r" in named and "2 bytes" in named


def test_a_token_a_server_echoes_never_reaches_an_mcp_error() -> None:
    from agentkit.errors import MCPError

    ak.mcp.http("http://127.0.0.1:9/mcp", headers={"Authorization": "Bearer tok-echoed-by-server-42"})
    ak.mcp.stdio("python", ["-V"], env={"WEATHER_API_KEY": "wk-echoed-in-stderr-77", "LANG": "C.UTF-8"})
    error = MCPError("401: bad token tok-echoed-by-server-42", server="s", stderr="key=wk-echoed-in-stderr-77")
    shown = f"{error} {error.stderr} {error.server}"
    assert "tok-echoed" not in shown and "wk-echoed" not in shown and "[redacted]" in shown
    assert "C.UTF-8" in str(MCPError("locale C.UTF-8"))  # values of other variables are not secrets


def test_a_bad_env_is_refused_without_showing_its_values() -> None:
    with pytest.raises(ak.ConfigurationError) as caught:
        ak.mcp.stdio("python", ["-V"], env={"API_KEY": 42})  # type: ignore[dict-item]
    assert "API_KEY" in str(caught.value) and "42" not in str(caught.value)
