"""`ak.Relay` against stub relays of the five documented layouts, through the official SDKs."""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import socket
from collections.abc import Iterator

import pytest

import agentkit as ak
from agentkit.relay import derive_doors
from tests.conftest import serve_asgi
from tests.relay.layouts import KEY, LAYOUTS, Layout


@pytest.fixture
def layout(request: pytest.FixtureRequest) -> Iterator[tuple[Layout, str]]:
    stub = LAYOUTS[request.param]()
    with serve_asgi(stub.app()) as url:
        yield stub, url


def _call(relay: ak.Relay, model: str) -> str:
    """Send one minimal request for `model` through the client its route picks; return the reply text."""
    dialect, name = relay.route(model)
    client = relay.client(dialect)
    if dialect in ("openai", "responses"):
        out = client.chat.completions.create(model=name, messages=[{"role": "user", "content": "hi"}])
        return out.choices[0].message.content
    if dialect == "anthropic":
        out = client.messages.create(model=name, max_tokens=10, messages=[{"role": "user", "content": "hi"}])
        return out.content[0].text
    out = client.models.generate_content(model=name, contents="hi")
    return out.text


# ---------------------------------------------------------------------------------------- doors


@pytest.mark.parametrize(
    ("pasted", "openai", "anthropic", "gemini"),
    [
        ("https://r.example", "https://r.example/v1", "https://r.example/anthropic", "https://r.example"),
        ("https://r.example/", "https://r.example/v1", "https://r.example/anthropic", "https://r.example"),
        ("https://r.example/v1", "https://r.example/v1", "https://r.example/anthropic", "https://r.example"),
        ("https://r.example/v1/", "https://r.example/v1", "https://r.example/anthropic", "https://r.example"),
        ("https://r.example/anthropic", "https://r.example/v1", "https://r.example/anthropic", "https://r.example"),
        ("https://r.example/anthropic/v1", "https://r.example/v1", "https://r.example/anthropic", "https://r.example"),
        ("https://r.example/openai", "https://r.example/openai", "https://r.example/anthropic", "https://r.example"),
        ("https://r.example/openai/v1", "https://r.example/openai/v1", "https://r.example/anthropic",
         "https://r.example"),
        ("https://r.example/v1beta", "https://r.example/v1", "https://r.example/anthropic", "https://r.example"),
        ("https://r.example/v1/chat/completions", "https://r.example/v1", "https://r.example/anthropic",
         "https://r.example"),
        ("https://r.example/api/v1", "https://r.example/api/v1", "https://r.example/api/anthropic",
         "https://r.example/api"),
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787/v1", "http://127.0.0.1:8787/anthropic",
         "http://127.0.0.1:8787"),
    ],
)
def test_any_pasted_url_gives_every_door_without_doubling_v1(
    pasted: str, openai: str, anthropic: str, gemini: str
) -> None:
    _, doors = derive_doors(pasted)
    assert doors == {"openai": openai, "anthropic": anthropic, "gemini": gemini}
    assert "/v1/v1" not in " ".join(doors.values())


def test_door_overrides_are_normalised() -> None:
    relay = ak.Relay(
        "https://r.example",
        openai_url="https://o.example/v1/",
        anthropic_url="https://a.example/anthropic/v1",
        gemini_url="https://g.example/v1beta",
    )
    assert relay.doors == {
        "openai": "https://o.example/v1",
        "anthropic": "https://a.example/anthropic",
        "gemini": "https://g.example",
    }


@pytest.mark.parametrize("bad", ["relay.example", "ftp://r.example", "https://", "https://r.example/v1?x=1", ""])
def test_bad_urls_are_refused_with_the_value(bad: str) -> None:
    with pytest.raises(ak.ConfigurationError, match="URL"):
        ak.Relay(bad)


# ---------------------------------------------------------------------------------------- routing


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("claude-sonnet-4-5", ("anthropic", "claude-sonnet-4-5")),
        ("Claude-3-haiku", ("anthropic", "Claude-3-haiku")),
        ("gemini-2.5-pro", ("gemini", "gemini-2.5-pro")),
        ("models/gemini-2.5-pro", ("gemini", "models/gemini-2.5-pro")),
        ("gpt-4o", ("openai", "gpt-4o")),
        ("deepseek-r1", ("openai", "deepseek-r1")),
        ("openai:claude-sonnet-4-5", ("openai", "claude-sonnet-4-5")),
        ("anthropic:deepseek-r1", ("anthropic", "deepseek-r1")),
        ("responses:gpt-4o", ("responses", "gpt-4o")),
        ("gemini:gemma-3", ("gemini", "gemma-3")),
        ("deepseek/deepseek-r1", ("openai", "deepseek/deepseek-r1")),
        ("anthropic/claude-sonnet-4", ("openai", "anthropic/claude-sonnet-4")),
        ("qwen/qwen2-vl-72b-instruct", ("openai", "qwen/qwen2-vl-72b-instruct")),
        ("llama3:8b", ("openai", "llama3:8b")),  # a colon that is not a dialect stays in the name
    ],
)
def test_route(model: str, expected: tuple[str, str]) -> None:
    assert ak.Relay("https://r.example").route(model) == expected


def test_route_falls_back_to_the_openai_door_when_the_relay_lacks_one() -> None:
    relay = ak.Relay("https://r.example/v1", dialects=["openai"])
    assert relay.route("claude-sonnet-4-5") == ("openai", "claude-sonnet-4-5")
    assert relay.route("gemini-2.5-pro") == ("openai", "gemini-2.5-pro")
    # An explicit prefix is the user's explicit choice and is honoured.
    assert relay.route("anthropic:claude-sonnet-4-5") == ("anthropic", "claude-sonnet-4-5")


def test_custom_routes_come_before_the_defaults() -> None:
    relay = ak.Relay("https://r.example", routes={"deepseek-*": "anthropic", "*-vision": "responses"})
    assert relay.route("deepseek-r1") == ("anthropic", "deepseek-r1")
    assert relay.route("foo-vision") == ("responses", "foo-vision")
    with pytest.raises(ak.ConfigurationError, match="'nope'"):
        ak.Relay("https://r.example", routes={"x": "nope"})  # type: ignore[dict-item]


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_route_refuses_non_names(bad: object) -> None:
    with pytest.raises(ak.ConfigurationError, match="model name"):
        ak.Relay("https://r.example").route(bad)  # type: ignore[arg-type]


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(ak.ConfigurationError, match="'cohere'"):
        ak.Relay("https://r.example", dialects=["openai", "cohere"])  # type: ignore[list-item]


# ---------------------------------------------------------------------------------------- layouts


@pytest.mark.parametrize("layout", ["R1"], indirect=True)
def test_r1_three_doors_from_the_root(layout: tuple[Layout, str], clean_env: pytest.MonkeyPatch) -> None:
    stub, url = layout
    relay = ak.Relay(url, api_key=KEY)
    assert _call(relay, "gpt-4o") == "ok"
    assert _call(relay, "claude-sonnet-4-5") == "ok"
    assert _call(relay, "gemini-2.5-pro") == "ok"
    assert _call(relay, "anthropic:deepseek-r1") == "ok"
    paths = [entry["path"] for entry in stub.log]
    assert paths == [
        "/v1/chat/completions",
        "/anthropic/v1/messages",
        "/v1beta/models/gemini-2.5-pro:generateContent",
        "/anthropic/v1/messages",
    ]
    openai, anthropic, gemini, _ = (entry["headers"] for entry in stub.log)
    assert openai["authorization"] == f"Bearer {KEY}"
    assert anthropic["x-api-key"] == KEY and anthropic["authorization"] == f"Bearer {KEY}"
    assert gemini["x-goog-api-key"] == KEY


@pytest.mark.parametrize("layout", ["R2"], indirect=True)
def test_r2_two_doors_pasting_the_anthropic_door(layout: tuple[Layout, str], clean_env: pytest.MonkeyPatch) -> None:
    stub, url = layout
    relay = ak.Relay(f"{url}/anthropic", api_key=KEY, dialects=["openai", "anthropic"])
    assert _call(relay, "claude-sonnet-4-5") == "ok"  # this relay wants the Bearer form
    assert _call(relay, "gpt-4o") == "ok"
    assert _call(relay, "gemini-2.5-pro") == "ok"  # no Gemini door: through the OpenAI door
    assert [e["path"] for e in stub.log] == ["/anthropic/v1/messages", "/v1/chat/completions", "/v1/chat/completions"]
    assert stub.log[2]["body"]["model"] == "gemini-2.5-pro"


@pytest.mark.parametrize("layout", ["R3"], indirect=True)
def test_r3_openai_only_and_models_without_a_key(layout: tuple[Layout, str], clean_env: pytest.MonkeyPatch) -> None:
    stub, url = layout
    assert "gpt-4o" in ak.Relay(f"{url}/v1").models()
    assert "authorization" not in stub.log[-1]["headers"]
    relay = ak.Relay(f"{url}/v1/", api_key=KEY, dialects=["openai"])
    assert _call(relay, "claude-sonnet-4-5") == "ok"
    assert stub.log[-1]["path"] == "/v1/chat/completions"


@pytest.mark.parametrize("layout", ["R4"], indirect=True)
def test_r4_prefixed_path_and_provider_model_names(layout: tuple[Layout, str], clean_env: pytest.MonkeyPatch) -> None:
    stub, url = layout
    relay = ak.Relay(f"{url}/openai", api_key=KEY, dialects=["openai"])
    assert _call(relay, "deepseek/deepseek-r1") == "ok"
    assert _call(relay, "qwen/qwen2-vl-72b-instruct") == "ok"
    assert [e["path"] for e in stub.log] == ["/openai/chat/completions"] * 2
    assert [e["body"]["model"] for e in stub.log] == ["deepseek/deepseek-r1", "qwen/qwen2-vl-72b-instruct"]
    assert "deepseek/deepseek-r1" in relay.models()


def _closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here now: connection refused
    return f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize("layout", ["R5"], indirect=True)
def test_r5_fails_over_to_the_backup_when_the_primary_refuses(
    layout: tuple[Layout, str], clean_env: pytest.MonkeyPatch
) -> None:
    stub, backup = layout
    relay = ak.Relay(_closed_port_url(), api_key=KEY, backup_urls=[f"{backup}/v1"], dialects=["openai"],
                     max_retries=0)
    assert _call(relay, "claude-sonnet-4-20250514") == "ok"
    assert _call(relay, "gpt-4o") == "ok"
    assert [e["path"] for e in stub.log] == ["/v1/chat/completions"] * 2
    assert relay.models()  # models() fails over too


def test_r5_fails_over_on_5xx_from_the_primary(clean_env: pytest.MonkeyPatch) -> None:
    sick = Layout("sick primary", fail_status=503)
    healthy = Layout("backup with two doors", openai="/v1", anthropic="/anthropic")
    with serve_asgi(sick.app()) as primary, serve_asgi(healthy.app()) as backup:
        relay = ak.Relay(f"{primary}/v1", api_key=KEY, backup_urls=[backup], max_retries=0)
        assert _call(relay, "gpt-4o") == "ok"
        assert _call(relay, "claude-sonnet-4-5") == "ok"  # every door fails over, not only OpenAI's
    assert [e["path"] for e in sick.log] == ["/v1/chat/completions", "/anthropic/v1/messages"]
    assert [e["path"] for e in healthy.log] == ["/v1/chat/completions", "/anthropic/v1/messages"]


@pytest.mark.parametrize("layout", ["R5"], indirect=True)
def test_async_clients_fail_over_too(layout: tuple[Layout, str], clean_env: pytest.MonkeyPatch) -> None:
    stub, backup = layout
    relay = ak.Relay(_closed_port_url(), api_key=KEY, backup_urls=[backup], max_retries=0)

    async def main() -> str:
        client = relay.async_client("openai")
        out = await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        return out.choices[0].message.content

    assert asyncio.run(main()) == "ok"
    assert stub.log[-1]["path"] == "/v1/chat/completions"


def test_all_hosts_down_is_a_typed_connection_error(clean_env: pytest.MonkeyPatch) -> None:
    relay = ak.Relay(_closed_port_url(), api_key=KEY, backup_urls=[_closed_port_url()], max_retries=0)
    with pytest.raises(ak.RelayConnectionError) as info:
        relay.models()
    assert KEY not in str(info.value)


# ---------------------------------------------------------------------------------------- clients


def test_clients_are_built_once_and_async_ones_per_loop() -> None:
    relay = ak.Relay("http://127.0.0.1:9", api_key=KEY)
    assert relay.client("openai") is relay.client("responses")
    assert relay.client("anthropic") is relay.client("anthropic")

    async def grab() -> tuple[object, object]:
        return relay.async_client("openai"), relay.async_client("openai")

    a1, a2 = asyncio.run(grab())
    b1, _ = asyncio.run(grab())
    assert a1 is a2
    assert a1 is not b1  # a fresh loop gets its own connection pool


def test_sdk_clients_are_configured_for_relays() -> None:
    relay = ak.Relay("https://r.example", api_key=KEY, timeout=7, max_retries=4)
    openai = relay.client("openai")
    assert str(openai.base_url) == "https://r.example/v1/"
    assert openai.max_retries == 4 and openai.timeout == 7
    anthropic = relay.client("anthropic")
    assert str(anthropic.base_url).rstrip("/") == "https://r.example/anthropic"
    assert anthropic.default_headers["x-api-key"] == KEY
    gemini = relay.client("gemini")
    options = gemini._api_client._http_options
    assert options.api_version == "v1beta"
    assert options.timeout == 7000  # milliseconds in google-genai
    assert options.retry_options.attempts == 5
    assert options.base_url.rstrip("/") == "https://r.example"


def test_importing_agentkit_and_building_a_relay_imports_no_vendor_sdk() -> None:
    import subprocess
    import sys

    code = (
        "import sys, agentkit as ak\n"
        "r = ak.Relay('https://r.example/v1', api_key='k'); r.route('claude-x')\n"
        "bad = [m for m in ('openai', 'anthropic', 'google.genai', 'httpx2', 'pydantic') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# ---------------------------------------------------------------------------------------- secrets


def test_the_key_never_shows(clean_env: pytest.MonkeyPatch) -> None:
    relay = ak.Relay("https://r.example", api_key=KEY, backup_urls=["https://b.example"])
    assert KEY not in repr(relay)
    assert KEY not in str(relay)
    assert KEY not in repr(vars(relay))
    assert "api_key=set" in repr(relay)
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(relay)


@pytest.mark.parametrize("layout", ["R3"], indirect=True)
def test_a_rejected_key_gives_authentication_error_without_the_key(
    layout: tuple[Layout, str], clean_env: pytest.MonkeyPatch
) -> None:
    _, url = layout
    wrong = "sk-wrong-key-abcdefghijklmnop"
    relay = ak.Relay(url, api_key=wrong, max_retries=0)
    with pytest.raises(Exception) as info:
        relay.client("openai").chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    mapped = relay.map_error(info.value, dialect="openai", model="gpt-4o")
    assert isinstance(mapped, ak.AuthenticationError)
    assert mapped.status == 401 and "check your relay api key" in str(mapped).lower()
    assert wrong not in str(mapped)


# ---------------------------------------------------------------------------------------- env


def test_from_env_prefers_agentkit_variables(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AGENTKIT_BASE_URL", "https://ak.example/v1")
    clean_env.setenv("AGENTKIT_API_KEY", "sk-agentkit")
    clean_env.setenv("OPENAI_API_KEY", "sk-openai")
    relay = ak.Relay.from_env()
    assert relay.root == "https://ak.example"
    assert relay.secrets == ("sk-agentkit",)


def test_from_env_falls_back_to_vendor_variables(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("OPENAI_BASE_URL", "https://o.example/v1")
    clean_env.setenv("ANTHROPIC_BASE_URL", "https://a.example/anthropic")
    clean_env.setenv("ANTHROPIC_API_KEY", "sk-ant")
    relay = ak.Relay.from_env()
    # The Anthropic pair has the key, so it is the relay; the OpenAI URL came without that key.
    assert relay.doors == {"openai": "https://a.example/v1", "anthropic": "https://a.example/anthropic",
                           "gemini": "https://a.example"}
    assert relay.secrets == ("sk-ant",)


def test_from_env_takes_vendor_urls_that_share_the_key_as_doors(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("OPENAI_BASE_URL", "https://o.example/v1")
    clean_env.setenv("OPENAI_API_KEY", "sk-same")
    clean_env.setenv("ANTHROPIC_BASE_URL", "https://a.example/anthropic")
    clean_env.setenv("ANTHROPIC_AUTH_TOKEN", "sk-same")  # the variable Claude Code relays document
    relay = ak.Relay.from_env()
    assert relay.doors["openai"] == "https://o.example/v1"
    assert relay.doors["anthropic"] == "https://a.example/anthropic"
    assert relay.secrets == ("sk-same",)


def test_from_env_never_pairs_the_agentkit_key_with_another_variables_url(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AGENTKIT_API_KEY", "sk-agentkit")
    clean_env.setenv("OPENAI_BASE_URL", "https://o.example/v1")
    with pytest.raises(ak.ConfigurationError, match="AGENTKIT_BASE_URL"):
        ak.Relay.from_env()


def test_from_env_never_pairs_the_agentkit_url_with_another_variables_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AGENTKIT_BASE_URL", "https://ak.example")
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        clean_env.setenv(name, f"sk-{name.lower()}")
    relay = ak.Relay.from_env()
    assert relay.root == "https://ak.example" and relay.secrets == () and not relay.has_key


#: Every variable the SDKs read that could move a request elsewhere or change its credentials.
_OTHER_HOST_KEY = "sk-other-host-key-0123456789"


def _sdk_variables(monkeypatch: pytest.MonkeyPatch, other: str) -> None:
    for name, value in {
        "OPENAI_BASE_URL": f"{other}/v1",
        "OPENAI_API_KEY": _OTHER_HOST_KEY,
        "OPENAI_CUSTOM_HEADERS": f"Authorization: Bearer {_OTHER_HOST_KEY}\nX-From-Env: 1",
        "ANTHROPIC_BASE_URL": f"{other}/anthropic",
        "ANTHROPIC_API_KEY": _OTHER_HOST_KEY,
        "ANTHROPIC_AUTH_TOKEN": _OTHER_HOST_KEY,
        "ANTHROPIC_CUSTOM_HEADERS": f"Authorization: Bearer {_OTHER_HOST_KEY}\nx-api-key: {_OTHER_HOST_KEY}",
        "GOOGLE_GEMINI_BASE_URL": other,
        "GEMINI_API_KEY": _OTHER_HOST_KEY,
        "GOOGLE_API_KEY": _OTHER_HOST_KEY,
        "GOOGLE_GENAI_USE_VERTEXAI": "true",
    }.items():
        monkeypatch.setenv(name, value)


def _send_everywhere(relay: ak.Relay) -> None:
    """One request through every dialect's sync client and its agent (async, no SDK retries) client."""
    messages = [{"role": "user", "content": "hi"}]
    for dialect, model in (("openai", "gpt-4o"), ("responses", "gpt-4o"), ("anthropic", "claude-sonnet-4-5"),
                           ("gemini", "gemini-2.5-pro")):
        client = relay.client(dialect)  # type: ignore[arg-type]

        async def send_async(dialect: str = dialect, model: str = model) -> None:
            aclient = relay.async_client(dialect, sdk_retries=False)  # type: ignore[arg-type]
            with contextlib.suppress(Exception):
                if dialect == "openai":
                    await aclient.chat.completions.create(model=model, messages=messages)
                elif dialect == "responses":
                    await aclient.responses.create(model=model, input="hi")
                elif dialect == "anthropic":
                    await aclient.messages.create(model=model, max_tokens=5, messages=messages)
                else:
                    await aclient.models.generate_content(model=model, contents="hi")

        with contextlib.suppress(Exception):
            if dialect == "openai":
                client.chat.completions.create(model=model, messages=messages)
            elif dialect == "responses":
                client.responses.create(model=model, input="hi")
            elif dialect == "anthropic":
                client.messages.create(model=model, max_tokens=5, messages=messages)
            else:
                client.models.generate_content(model=model, contents="hi")
        asyncio.run(send_async())


_CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-goog-api-key")


def _credentials(stub: Layout) -> set[str]:
    """Every credential value the stub host received (any auth header, Bearer prefix removed)."""
    return {entry["headers"][name].removeprefix("Bearer ") for entry in stub.log
            for name in _CREDENTIAL_HEADERS if name in entry["headers"]}


_EVERY_PATH = sorted(2 * ["/v1/chat/completions", "/v1/responses", "/anthropic/v1/messages",
                          "/v1beta/models/gemini-2.5-pro:generateContent"])


@pytest.mark.parametrize("how", ["from_env", "constructor"])
def test_agentkit_settings_win_over_every_sdk_variable(how: str, clean_env: pytest.MonkeyPatch) -> None:
    """With AGENTKIT_* (or an explicit URL and key), the SDKs' own variables neither redirect a request
    nor swap its key: the relay's host gets every request, with the relay key and no other."""
    relay_host, other_host = (Layout(name, openai="/v1", anthropic="/anthropic", gemini="") for name in "AB")
    with serve_asgi(relay_host.app()) as relay_url, serve_asgi(other_host.app()) as other_url:
        _sdk_variables(clean_env, other_url)
        if how == "from_env":
            clean_env.setenv("AGENTKIT_BASE_URL", relay_url)
            clean_env.setenv("AGENTKIT_API_KEY", KEY)
            relay = ak.Relay.from_env(max_retries=0, timeout=10)
        else:
            relay = ak.Relay(relay_url, api_key=KEY, max_retries=0, timeout=10)
        _send_everywhere(relay)
    assert other_host.log == []
    assert sorted(entry["path"] for entry in relay_host.log) == _EVERY_PATH
    assert _credentials(relay_host) == {KEY}
    assert all(entry["headers"].get("authorization") == f"Bearer {KEY}" for entry in relay_host.log
               if not entry["path"].startswith("/v1beta"))


def test_vendor_variables_send_each_key_only_to_its_own_url(clean_env: pytest.MonkeyPatch) -> None:
    """Without AGENTKIT_*, the vendor pairs are used, but a key never reaches another pair's URL."""
    openai_host, anthropic_host = (Layout(name, openai="/v1", anthropic="/anthropic", gemini="") for name in "AB")
    anthropic_key = "sk-anthropic-pair-key-0123456789"
    with serve_asgi(openai_host.app()) as openai_url, serve_asgi(anthropic_host.app()) as anthropic_url:
        clean_env.setenv("OPENAI_BASE_URL", f"{openai_url}/v1")
        clean_env.setenv("OPENAI_API_KEY", KEY)
        clean_env.setenv("ANTHROPIC_BASE_URL", f"{anthropic_url}/anthropic")
        clean_env.setenv("ANTHROPIC_API_KEY", anthropic_key)
        clean_env.setenv("GOOGLE_GEMINI_BASE_URL", anthropic_url)
        clean_env.setenv("GEMINI_API_KEY", anthropic_key)
        _send_everywhere(ak.Relay.from_env(max_retries=0, timeout=10))
    assert openai_host.log, "the first pair with a key is the relay"
    assert _credentials(openai_host) <= {KEY}
    assert _credentials(anthropic_host) <= {anthropic_key}


def test_from_env_without_a_url_says_what_to_set(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ak.ConfigurationError, match="AGENTKIT_BASE_URL"):
        ak.Relay.from_env()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"timeout": 0}, "timeout"), ({"max_retries": -1}, "max_retries"), ({"max_concurrency": 0}, "max_concurrency")],
)
def test_bad_options_are_refused(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ak.ConfigurationError, match=match):
        ak.Relay("https://r.example", **kwargs)  # type: ignore[arg-type]
