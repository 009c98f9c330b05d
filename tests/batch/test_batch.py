"""`ak.batch` / `ak.abatch` on the emulator: order, concurrency, per-input errors, retries, rate limit, resume."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit.batch import BatchResult
from agentkit.emulator import Fault

KEY = "sk-batch-test-0123456789abcdef"


@pytest.fixture(scope="module")
def emulator_relay() -> Iterator[Any]:
    with ak.emulator.serve(api_key=KEY) as relay:
        yield relay


@pytest.fixture
def relay(emulator_relay: Any) -> ak.Relay:
    """A fresh relay (its own limits and counters) on the shared emulator, whose log starts empty."""
    emulator_relay.emulator.reset()
    return ak.Relay(emulator_relay.root, api_key=KEY, max_retries=0)


@pytest.fixture
def emulator(emulator_relay: Any) -> Any:
    return emulator_relay.emulator


@ak.tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
    """
    return {"city": city, "temperature": 21}


def _first_prompt(reply: ak.Reply) -> str:
    return reply.messages[0].text


def test_results_come_back_in_input_order_each_with_its_own_conversation(relay: ak.Relay) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    agent("Remember the word 'teal'.")  # the template's history is every conversation's start
    template_history = list(agent.history)
    prompts = [f"Question number {i}: what is {i} plus {i}?" for i in range(12)]
    result = ak.batch(agent, prompts, concurrency=5, progress=False)
    assert isinstance(result, BatchResult) and len(result) == 12 and result.ok
    assert [_first_prompt(r) for r in result] == prompts
    assert all(r.text for r in result)
    assert agent.history == template_history  # the template itself is untouched


def test_concurrency_bounds_the_conversations_in_flight(relay: ak.Relay, emulator: Any) -> None:
    emulator.fault(Fault.delay(0.3), count=None)
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)
    result = ak.batch(agent, [f"item {i}" for i in range(6)], concurrency=3, progress=False)
    assert result.ok
    assert relay._limit.peak == 3  # never more than `concurrency` requests at once, and that many
    arrived = sorted(r.time for r in emulator.log)
    # Each answer comes 0.3 s after its request arrived: arriving within 0.3 s of the first, the third
    # found it still in flight; the fourth needed a free slot, so it came 0.3 s after the first at least.
    assert arrived[2] - arrived[0] < 0.3 and arrived[3] - arrived[0] >= 0.29, arrived  # two waves of three
    assert arrived[5] - arrived[0] < 1.2, f"the requests arrived over {arrived[5] - arrived[0]:.2f} s"


def test_a_failing_input_is_collected_and_the_others_still_run(relay: ak.Relay, emulator: Any) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    inputs: list[Any] = ["first", {"prompt": "second", "output": 42}, "third"]
    result = ak.batch(agent, inputs, concurrency=2, progress=False)
    assert not result.ok
    assert set(result.errors) == {1}
    assert isinstance(result[1], ak.ConfigurationError)
    assert [_first_prompt(r) for r in result.replies] == ["first", "third"]
    assert result.texts[1] is None and result.texts[0]
    with pytest.raises(ak.ConfigurationError) as raised:
        result.raise_errors()
    assert any("Input 1 of 3 failed" in note for note in getattr(raised.value, "__notes__", []))


def test_a_retryable_failure_runs_the_conversation_again(relay: ak.Relay, emulator: Any) -> None:
    emulator.fault(Fault.http_error(503), count=1)
    agent = ak.Agent("gemini-2.5-pro", relay=relay, display=False)
    result = ak.batch(agent, ["hello"], retries=1, progress=False)
    assert result.ok and result[0].text
    assert len([r for r in emulator.log if r.door == "gemini"]) == 2


def test_without_retries_the_error_is_the_result(relay: ak.Relay, emulator: Any) -> None:
    emulator.fault(Fault.http_error(503), count=1)
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    result = ak.batch(agent, ["hello"], retries=0, progress=False)
    assert isinstance(result[0], ak.UpstreamError)


def test_rate_limit_spaces_the_requests_and_is_put_back(relay: ak.Relay, emulator: Any) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    agent("Warm up")  # the SDK client built, so that requests sent too early arrive early too
    started = time.time()  # the clock of the emulator's log
    result = ak.batch(agent, ["a", "b", "c", "d"], concurrency=4, rate_limit=300, progress=False)
    assert result.ok
    times = sorted(r.time for r in emulator.log if r.door == "openai" and r.time >= started)
    # 300 a minute: one every 0.2 s. The limiter holds the k-th request until 0.2 * k s after the batch
    # began; a busy machine may delay any request further (so the gaps between arrivals may shrink) but
    # never bring one forward: the k-th arrival is no earlier than that, however loaded the machine.
    early = [(k, round(t - started, 3)) for k, t in enumerate(times) if t - started < 0.2 * k - 0.01]
    assert len(times) == 4 and not early, f"(request, seconds after the start) sent before their turn: {early}"
    assert relay.rate_limit is None


def test_a_relay_rate_limit_applies_to_plain_runs_too(relay: ak.Relay, emulator: Any) -> None:
    relay.rate_limit = 600  # one request every 0.1 s
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    started = time.perf_counter()
    for _ in range(3):
        agent("hi")
    assert time.perf_counter() - started > 0.18
    with pytest.raises(ak.ConfigurationError, match="positive number of requests per minute"):
        relay.rate_limit = 0


def test_a_rerun_with_a_cache_skips_what_is_done(relay: ak.Relay, emulator: Any, tmp_path: Path) -> None:
    cache = tmp_path / "runs" / "batch.jsonl"
    agent = ak.Agent("gpt-4o", tools=[get_weather], relay=relay, display=False)
    inputs: list[Any] = ["What is the weather in Paris?", {"prompt": "broken", "output": 42}, "Say hi"]
    first = ak.batch(agent, inputs, cache=cache, progress=False)
    assert set(first.errors) == {1} and first.cached == 0
    assert len(cache.read_text().splitlines()) == 2  # finished conversations only
    sent = len(emulator.log)

    again = ak.batch(agent, inputs, cache=cache, progress=False)
    assert len(emulator.log) == sent  # nothing done is asked again
    assert again.cached == 2 and set(again.errors) == {1}
    assert again.texts == first.texts
    restored, original = again[0], first[0]
    assert restored.usage == original.usage and restored.model == original.model
    assert [c.name for c in restored.tool_calls] == ["get_weather"]
    assert restored.tool_calls[0].result == {"city": "Paris", "temperature": 21}
    assert [m.role for m in restored.messages] == [m.role for m in original.messages]

    inputs[1] = "Now fixed"
    with cache.open("a") as f:
        f.write('{"key": "cut short')  # a line an interrupted run left half-written
    with pytest.warns(UserWarning, match="cut short"):
        third = ak.batch(agent, inputs, cache=cache, progress=False)
    assert third.ok and third.cached == 2
    assert len(emulator.log) == sent + 1  # only the input that was never done


def _lines(cache: Path) -> list[bytes]:
    return cache.read_bytes().split(b"\n")


def test_a_torn_last_line_is_cut_off_with_a_warning_and_never_glued_to(
    relay: ak.Relay, emulator: Any, tmp_path: Path
) -> None:
    cache = tmp_path / "runs.jsonl"
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    inputs = ["Say one", "Say two", "Say three"]
    first = ak.batch(agent, inputs[:2], cache=cache, progress=False, concurrency=1)
    assert first.ok
    whole, torn = cache.read_bytes().splitlines(keepends=True)
    cache.write_bytes(whole + torn[: len(torn) // 2])  # killed halfway through writing the second record
    sent = len(emulator.log)

    with pytest.warns(UserWarning, match=r"ends with a line cut short .*removed") as caught:
        resumed = ak.batch(agent, inputs, cache=cache, progress=False)
    assert str(cache) in str(caught[0].message)
    assert caught[0].filename == __file__  # the warning points at the user's `ak.batch(...)` line
    assert resumed.ok and resumed.cached == 1 and resumed.texts[:2] == first.texts
    assert len(emulator.log) == sent + 2  # the torn input and the new one, nothing else
    lines = _lines(cache)
    assert lines[-1] == b"" and all(json.loads(line)["key"] for line in lines[:-1])  # whole lines only

    again = ak.batch(agent, inputs, cache=cache, progress=False)  # the repaired file resumes fully
    assert again.cached == 3 and len(emulator.log) == sent + 2


def test_a_last_record_without_its_newline_is_kept_and_the_next_one_starts_a_line(
    relay: ak.Relay, emulator: Any, tmp_path: Path
) -> None:
    cache = tmp_path / "runs.jsonl"
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    ak.batch(agent, ["Say one"], cache=cache, progress=False)
    cache.write_bytes(cache.read_bytes().rstrip(b"\n"))  # the record was written, its newline was not
    sent = len(emulator.log)
    resumed = ak.batch(agent, ["Say one", "Say two"], cache=cache, progress=False)
    assert resumed.cached == 1 and len(emulator.log) == sent + 1
    assert [json.loads(line)["index"] for line in _lines(cache)[:-1]] == [0, 1]


def test_damaged_lines_in_the_middle_are_skipped_with_a_warning(
    relay: ak.Relay, emulator: Any, tmp_path: Path
) -> None:
    cache = tmp_path / "runs.jsonl"
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    inputs = ["Say one", "Say two", "Say three", "Say four"]
    first = ak.batch(agent, inputs, cache=cache, progress=False, concurrency=1)
    one, _two, three, four = cache.read_bytes().splitlines(keepends=True)
    no_reply = json.dumps({"key": json.loads(three)["key"], "index": 2}).encode() + b"\n"
    cache.write_bytes(one + b"\xff\xfe\x00 not text\n" + b"[1, 2]\n" + no_reply + four)
    sent = len(emulator.log)

    with pytest.warns(UserWarning) as caught:
        resumed = ak.batch(agent, inputs, cache=cache, progress=False)
    message = " ".join(str(w.message) for w in caught)
    assert "Lines 2, 3 and 4" in message and "skipped" in message
    assert "not text" not in message  # the damaged content is not quoted
    assert resumed.ok and resumed.cached == 2  # "Say one" and "Say four" came from the file
    assert resumed.texts[0] == first.texts[0] and resumed.texts[3] == first.texts[3]
    assert len(emulator.log) == sent + 2  # the two inputs whose records were lost ran again


def test_a_record_that_no_longer_reads_as_a_reply_runs_its_input_again(
    relay: ak.Relay, emulator: Any, tmp_path: Path
) -> None:
    cache = tmp_path / "runs.jsonl"
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    ak.batch(agent, ["Say one"], cache=cache, progress=False)
    record = json.loads(cache.read_text())
    record["reply"] = {"usage": {"no_such_field": 1}}  # a reply stored by another version, say
    cache.write_text(json.dumps(record) + "\n")
    sent = len(emulator.log)
    with pytest.warns(UserWarning, match="cannot be read back"):
        resumed = ak.batch(agent, ["Say one"], cache=cache, progress=False)
    assert resumed.ok and resumed.cached == 0 and len(emulator.log) == sent + 1


def test_an_input_the_cache_cannot_key_still_runs_with_a_warning(
    relay: ak.Relay, emulator: Any, tmp_path: Path
) -> None:
    cache = tmp_path / "runs.jsonl"
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    ak.batch(agent, ["Say one"], cache=cache, progress=False)
    odd = {"prompt": "Say two", "metadata": {1: "a", "b": "c"}}  # keys JSON cannot sort
    with pytest.warns(UserWarning, match="input 1 could not be written to the cache file"):
        result = ak.batch(agent, ["Say one", odd], cache=cache, progress=False)
    assert result.ok and result.cached == 1


def test_a_cache_path_that_cannot_be_used_is_refused_before_any_request(
    relay: ak.Relay, emulator: Any, tmp_path: Path
) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    with pytest.raises(ak.ConfigurationError, match=r"cannot be created or written .*notes\.txt"):
        ak.batch(agent, ["hi"], cache=tmp_path / "notes.txt" / "runs.jsonl", progress=False)
    with pytest.raises(ak.ConfigurationError, match=r"`cache` must be a file path .* got int 12"):
        ak.batch(agent, ["hi"], cache=12, progress=False)  # type: ignore[arg-type]
    with pytest.raises(ak.ConfigurationError, match="NUL"):
        ak.batch(agent, ["hi"], cache="runs\x00.jsonl", progress=False)
    with pytest.raises(ak.ConfigurationError, match="is a directory"):
        ak.batch(agent, ["hi"], cache=tmp_path, progress=False)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")
        with pytest.raises(ak.ConfigurationError, match="not a regular file"):  # was a read that never ended
            ak.batch(agent, ["hi"], cache=tmp_path / "pipe", progress=False)
    assert len(emulator.log) == 0


def test_a_factory_that_fails_while_the_cache_is_read_fails_only_its_input(
    relay: ak.Relay, emulator: Any, tmp_path: Path
) -> None:
    cache = tmp_path / "runs.jsonl"
    ak.batch(ak.Agent("gpt-4o", relay=relay, display=False), ["Say one"], cache=cache, progress=False)

    def make(item: str) -> ak.Agent:
        if item == "boom":
            raise ak.ConfigurationError("No agent for 'boom'.")
        return ak.Agent("gpt-4o", relay=relay, display=False)

    result = ak.batch(make, ["Say one", "boom"], cache=cache, progress=False)
    assert result.cached == 1 and set(result.errors) == {1}
    assert str(result[1]) == "No agent for 'boom'."


def test_the_cache_key_includes_the_model(relay: ak.Relay, emulator: Any, tmp_path: Path) -> None:
    cache = tmp_path / "c.jsonl"
    ak.batch(ak.Agent("gpt-4o", relay=relay, display=False), ["hi"], cache=cache, progress=False)
    result = ak.batch(ak.Agent("claude-sonnet-4-5", relay=relay, display=False), ["hi"], cache=cache,
                      progress=False)
    assert result.cached == 0 and result[0].dialect == "anthropic"
    records = [json.loads(line) for line in cache.read_text().splitlines()]
    assert len({r["key"] for r in records}) == 2


def test_a_factory_builds_each_inputs_agent(relay: ak.Relay) -> None:
    seen: list[str] = []

    def make(item: str) -> ak.Agent:
        seen.append(item)
        return ak.Agent("gpt-4o", relay=relay, system=f"Topic: {item}", display=False)

    result = ak.batch(make, ["cats", "dogs"], progress=False)
    assert result.ok and sorted(seen) == ["cats", "dogs"]
    fresh = ak.batch(lambda: ak.Agent("responses:gpt-4o", relay=relay, display=False), ["x", "y"], progress=False)
    assert [r.dialect for r in fresh] == ["responses", "responses"]
    bad = ak.batch(lambda: "not an agent", ["x"], progress=False)
    assert isinstance(bad[0], ak.ConfigurationError) and "not an `ak.Agent`" in str(bad[0])


def test_bad_arguments_are_refused_before_any_request(relay: ak.Relay, emulator: Any) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    with pytest.raises(ak.ConfigurationError, match="Input 1 is int 42"):
        ak.batch(agent, ["ok", 42], progress=False)  # type: ignore[list-item]
    with pytest.raises(ak.ConfigurationError, match="not one str"):
        ak.batch(agent, "just one prompt", progress=False)
    with pytest.raises(ak.ConfigurationError, match="`concurrency` must be an int of at least 1"):
        ak.batch(agent, ["x"], concurrency=0, progress=False)
    with pytest.raises(ak.ConfigurationError, match="requests per minute"):
        ak.batch(agent, ["x"], rate_limit=-5, progress=False)
    with pytest.raises(ak.ConfigurationError, match=r"needs an `ak\.Agent`"):
        ak.batch("gpt-4o", ["x"], progress=False)
    with pytest.raises(ak.ConfigurationError, match=r"Input 0 has the key 1 \(int\)"):
        ak.batch(agent, [{"prompt": "x", 1: "y"}], progress=False)  # was a TypeError as the input's result
    with pytest.raises(ak.ConfigurationError, match="`inputs` must be a list"):
        ak.batch(agent, None, progress=False)  # type: ignore[arg-type]
    assert len(emulator.log) == 0


def test_progress_goes_to_stderr_outside_notebooks(relay: ak.Relay, capsys: pytest.CaptureFixture[str]) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    ak.batch(agent, ["a", "b", "c"], progress=True)
    err = capsys.readouterr().err
    assert "agentkit batch" in err and "3/3" in err
    ak.batch(agent, ["a"], progress=False)
    assert capsys.readouterr().err == ""


def test_progress_is_a_widget_in_notebooks(relay: ak.Relay, monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    import agentkit.display

    shown: list[Any] = []
    monkeypatch.setattr(agentkit.display, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda *objects, **_: shown.extend(objects))
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    result = ak.batch(agent, ["a", {"prompt": "b", "output": 42}], progress="auto")
    assert len(result) == 2
    (box,) = shown
    bar, label = box.children
    assert bar.value == 2 and bar.max == 2 and bar.bar_style == "warning"  # done, with a failure
    assert "2/2" in label.value and "1 failed" in label.value


async def test_abatch_in_a_running_loop_and_batch_from_inside_one(relay: ak.Relay) -> None:
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)
    result = await ak.abatch(agent, ["one", "two"], progress=False)
    assert [_first_prompt(r) for r in result] == ["one", "two"]
    # A notebook cell: the sync call runs the batch on the background loop and waits for it.
    synced = ak.batch(agent, ["three"], progress=False)
    assert synced.ok and _first_prompt(synced[0]) == "three"
    assert asyncio.get_running_loop().is_running()


def test_ak_batch_is_callable_even_after_importing_its_module() -> None:
    import agentkit.batch as module

    assert callable(ak.batch) and callable(module)
    assert ak.abatch is module.abatch
