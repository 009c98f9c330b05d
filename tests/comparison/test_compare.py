"""`ak.compare` / `ak.acompare` on the emulator: all at once, bounded by the relay, failures kept per model."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

import agentkit as ak
from agentkit.comparison import CompareTable, UnknownModelError
from agentkit.display.table import format_cost
from agentkit.emulator import Fault

KEY = "sk-compare-test-0123456789abcdef"
MODELS = ["gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]


@pytest.fixture(scope="module")
def emulator_relay() -> Iterator[Any]:
    with ak.emulator.serve(api_key=KEY) as relay:
        yield relay


@pytest.fixture
def emulator(emulator_relay: Any) -> Any:
    emulator_relay.emulator.reset()
    return emulator_relay.emulator


@pytest.fixture
def relay(emulator_relay: Any, emulator: Any) -> ak.Relay:
    """A fresh relay (its own concurrency counters) on the shared emulator, without retries."""
    return ak.Relay(emulator_relay.root, api_key=KEY, max_retries=0)


@ak.tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
    """
    return {"city": city, "temperature": 21}


def test_every_model_answers_the_same_task_with_its_tools(relay: ak.Relay, emulator: Any) -> None:
    table = ak.compare(MODELS, "What is the weather in Rome?", tools=[get_weather], relay=relay,
                       system="Be brief.", temperature=0)
    assert isinstance(table, CompareTable) and list(table) == MODELS and not table.errors
    for model in MODELS:
        reply = table[model]
        assert isinstance(reply, ak.Reply) and "Rome" in reply.text
        assert [c.name for c in reply.tool_calls] == ["get_weather"] and reply.turns == 2
        assert table.seconds[model] > 0
    doors = {r.door for r in emulator.log}
    assert doors == {"openai", "responses", "anthropic", "gemini"}
    assert all("Be brief." in str(r.body) for r in emulator.log)


def test_the_runs_go_at_once_bounded_by_the_relays_concurrency(emulator_relay: Any, emulator: Any) -> None:
    # The emulator answers each request `held` s after it arrived (and logged it): a request arriving
    # less than `held` s after another found that one still in flight, and one that needed a free slot
    # cannot arrive before `held` s. Exact on a busy machine too, which can only spread arrivals out.
    held = 0.6
    emulator.fault(Fault.delay(held), count=None)
    wide = ak.Relay(emulator_relay.root, api_key=KEY, max_retries=0)
    table = ak.compare(MODELS, "Say hello.", relay=wide)
    assert not table.errors
    arrived = sorted(r.time for r in emulator.log)
    assert len(arrived) == 4 and arrived[-1] - arrived[0] < held, arrived  # all four in flight together
    assert wide._limit.peak == 4

    emulator.reset()
    emulator.fault(Fault.delay(held), count=None)
    narrow = ak.Relay(emulator_relay.root, api_key=KEY, max_retries=0, max_concurrency=2)
    table = ak.compare(MODELS, "Say hello.", relay=narrow)
    assert not table.errors and narrow._limit.peak == 2
    arrived = sorted(r.time for r in emulator.log)
    assert arrived[1] - arrived[0] < held and arrived[2] - arrived[0] >= held - 0.01, arrived  # two waves of two


def test_one_model_failing_never_stops_the_others(relay: ak.Relay, emulator: Any) -> None:
    emulator.fault(Fault.http_error(500), count=None, model="claude-sonnet-4-5")
    emulator.fault(Fault.delay(0.3), count=None, model="gpt-4o")  # still running when the other fails
    table = ak.compare(MODELS, "What is the weather in Oslo?", tools=[get_weather], relay=relay)
    assert list(table.errors) == ["claude-sonnet-4-5"]
    error = table["claude-sonnet-4-5"]
    assert isinstance(error, ak.UpstreamError)
    assert set(table.replies) == {"gpt-4o", "responses:gpt-4o", "gemini-2.5-pro"}
    assert all("Oslo" in r.text for r in table.replies.values())
    text = repr(table)
    assert "4 models, 3 answered, 1 failed" in text and "✕ UpstreamError" in text
    html = table._repr_html_()
    assert html.count("<tr data-model=") == 4 and 'data-model="claude-sonnet-4-5" data-status="error"' in html


def test_to_pandas_has_one_row_per_model(relay: ak.Relay, emulator: Any) -> None:
    pandas = pytest.importorskip("pandas")
    emulator.fault(Fault.http_error(500), count=None, model="gemini-2.5-pro")
    table = ak.compare(["gpt-4o", "gemini-2.5-pro"], "What is the weather in Lima?", tools=[get_weather],
                       relay=relay)
    frame = table.to_pandas()
    assert isinstance(frame, pandas.DataFrame) and list(frame.index) == ["gpt-4o", "gemini-2.5-pro"]
    assert {"text", "tool_calls", "turns", "tokens", "cost", "seconds", "error"} <= set(frame.columns)
    ok, failed = frame.loc["gpt-4o"], frame.loc["gemini-2.5-pro"]
    assert "Lima" in ok["text"] and ok["tool_calls"] == 1 and ok["turns"] == 2 and ok["tokens"] > 0
    assert pandas.isna(ok["error"]) and ok["seconds"] > 0
    assert failed["error"].startswith("UpstreamError") and pandas.isna(failed["text"])


def test_to_pandas_without_pandas_says_how_to_get_it(relay: ak.Relay, monkeypatch: pytest.MonkeyPatch) -> None:
    table = ak.compare(["gpt-4o"], "Hello", relay=relay)
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if not installed
    with pytest.raises(ak.ConfigurationError, match=r"pip install pandas"):
        table.to_pandas()
    assert table.rows()[0]["model"] == "gpt-4o"


def test_pandas_is_not_imported_by_compare(relay: ak.Relay, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "pandas", raising=False)
    ak.compare(["gpt-4o"], "Hello", relay=relay)
    assert "pandas" not in sys.modules


async def test_acompare_and_compare_inside_a_running_loop(relay: ak.Relay) -> None:
    table = await ak.acompare(["gpt-4o", "claude-sonnet-4-5"], "Hello there", relay=relay)
    assert set(table.replies) == {"gpt-4o", "claude-sonnet-4-5"}
    # A notebook cell: the loop runs, and the sync form still works (on agentkit's background loop).
    again = ak.compare(["gemini-2.5-pro"], "Hello there", relay=relay)
    assert again["gemini-2.5-pro"].text
    assert asyncio.get_running_loop().is_running()


def test_structured_output_and_images_reach_every_model(relay: ak.Relay, emulator: Any) -> None:
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
           b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND"
           b"\xaeB`\x82")
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
              "additionalProperties": False}
    table = ak.compare(["gpt-4o", "claude-sonnet-4-5"], "Capital of France?", output=schema, images=png,
                       relay=relay)
    assert not table.errors
    assert all(isinstance(r.output, dict) and "city" in r.output for r in table.replies.values())
    assert all("base64" in str(r.body) or "iVBOR" in str(r.body) for r in emulator.log)


def test_files_reach_every_model_and_a_type_one_cannot_carry_fails_only_there(relay: ak.Relay, emulator: Any) -> None:
    from tests.files._samples import pdf, wav

    table = ak.compare(MODELS, "Summarise", files=[ak.File(pdf(2), name="report.pdf")], relay=relay)
    assert not table.errors and len(emulator.log) == len(MODELS)
    assert all("report.pdf" in json.dumps(r.body) or "JVBER" in json.dumps(r.body) for r in emulator.log)
    audio = ak.compare(["gpt-4o", "claude-sonnet-4-5"], "Transcribe", files=[ak.File(wav(), name="a.wav")], relay=relay)
    assert list(audio.errors) == ["claude-sonnet-4-5"] and "audio/wav" in str(audio.errors["claude-sonnet-4-5"])
    assert isinstance(audio["gpt-4o"], ak.Reply)
    with pytest.raises(ak.ConfigurationError, match=r"no-such\.pdf"):
        ak.compare(MODELS, "Summarise", files="no-such.pdf", relay=relay)  # one error, before any request


def test_mistakes_are_refused_at_once(relay: ak.Relay) -> None:
    with pytest.raises(ak.ConfigurationError, match="list of model names"):
        ak.compare("gpt-4o", "Hi", relay=relay)  # type: ignore[arg-type]
    with pytest.raises(ak.ConfigurationError, match="more than once"):
        ak.compare(["gpt-4o", "gpt-4o"], "Hi", relay=relay)
    with pytest.raises(ak.ConfigurationError, match="empty"):
        ak.compare([], "Hi", relay=relay)
    with pytest.raises(ak.ConfigurationError, match="prompt must be a str"):
        ak.compare(["gpt-4o"], 42, relay=relay)  # type: ignore[arg-type]
    with pytest.raises(ak.ConfigurationError, match="temperature"):  # the same mistake for every model
        ak.compare(["gpt-4o", "gemini-2.5-pro"], "Hi", relay=relay, temprature=0)
    table = ak.compare(["gpt-4o"], "Hi", relay=relay)
    with pytest.raises(UnknownModelError, match=r"'gpt-5' was not one of the models compared \('gpt-4o'\)"):
        table["gpt-5"]
    assert table.get("gpt-5") is None  # a Mapping: `.get`, `in`, `.items()`
    assert isinstance(UnknownModelError("x"), (ak.AgentkitError, KeyError))


def test_costs_are_shown_in_the_relay_currency(emulator_relay: Any) -> None:
    assert format_cost(None) == "—" and format_cost(ak.Cost(Decimal("0.00123"), "CNY")) == "¥0.00123"
    priced = ak.Relay(emulator_relay.root, api_key=KEY, currency="CNY", prices={"gpt-4o": {"input": 2, "output": 8}})
    reply = ak.Agent("gpt-4o", relay=priced, display=False)("Hello")
    assert reply.cost is not None and reply.cost.currency == "CNY"
    table = CompareTable("p", {"m": reply, "n": ValueError("boom")}, {"m": 1.0, "n": 0.1})
    (row, failed) = table.rows()
    assert row["cost"] == reply.cost.amount and row["currency"] == "CNY" and "¥" in repr(table)
    assert failed["cost"] is None and "ValueError: boom" in repr(table)


async def test_cancelling_a_comparison_stops_every_run(relay: ak.Relay, emulator: Any) -> None:
    await ak.acompare(MODELS, "Hello", relay=relay, display=False)  # SDKs imported: the timing is of the cancel
    emulator.fault(Fault.delay(5), count=None)
    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ak.acompare(MODELS, "Hello", relay=relay), 0.5)
    assert time.perf_counter() - started < 2.5  # not waiting for the five-second answers
    assert relay._limit.active == 0  # every request's slot given back
