"""The emulator's wire output against every recording in tests/realtraffic (copied from shared/realtraffic).

For each recording, its request body is sent to the emulator's matching door with a scripted turn of
the same kind as the recorded answer (text / tool calls / reasoning / error status; see
recordings.turn_for), and the answer is compared with the recorded one:

* JSON bodies: the recursive set of key paths must be equal;
* streams: the framing (`event:` + `data:` lines vs data-only vs JSON array, LF vs CRLF, `[DONE]`),
  the key paths of each kind of event, the first delta, the finish and usage chunks, the event order;
* the content type.

The only tolerated differences are listed below, each with its reason. Differences the emulator makes
on purpose are few: it renders the current API version's fields (which older recordings predate), and
its Gemini function calls carry an `id` (the brief asks for one; the real Gemini API omits it).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from agentkit.emulator import Emulator

from .conftest import TEST_KEY
from .recordings import RECORDINGS, door_and_path, key_paths, load, parse_stream, recordings, turn_for

pytestmark = pytest.mark.skipif(
    not RECORDINGS.is_dir(), reason=f"The recorded real traffic is not available at {RECORDINGS}."
)

ALL = [path for vendor in ("openai", "anthropic", "gemini") for path in recordings(vendor)]

# Fields of the current API versions that older recordings predate; the emulator renders the newest shape.
NEWER_FIELDS: dict[str, set[str]] = {
    # `obfuscation` is on every chunk of 2025+ streams (d_stream_tool_call_2026 has it).
    "openai": {"obfuscation"},
    # `stop_details` and `usage.inference_geo` arrived in 2026 (f_structured_output_output_config,
    # h_thinking_stream_after_tool have them); so did `output_tokens_details` in message_delta.
    "anthropic": {
        "stop_details",
        "usage.inference_geo",
        "message.stop_details",
        "message.usage.inference_geo",
        "delta.stop_details",
        "usage.output_tokens_details",
        "usage.output_tokens_details.thinking_tokens",
    },
    "gemini": set(),
}
# Differences by design.
BY_DESIGN: dict[str, set[str]] = {
    # The brief asks for an `id` on function calls so that clients can pair results; real Gemini omits it.
    "gemini": {"candidates[].content.parts[].functionCall.id"},
}
_OPENAI_2024_FIELDS = {
    "choices[].message.annotations",
    "service_tier",
    "usage.completion_tokens_details.accepted_prediction_tokens",
    "usage.completion_tokens_details.audio_tokens",
    "usage.completion_tokens_details.rejected_prediction_tokens",
    "usage.prompt_tokens_details.audio_tokens",
}
# Recording-specific differences, with the reason.
SPECIFIC: dict[str, tuple[set[str], str]] = {
    "d_stream_parallel_tool_calls_arg_deltas__gpt35.json": (
        {"choices[].delta.refusal", "service_tier"},
        "A July 2024 stream: `refusal` and `service_tier` were not sent yet.",
    ),
    "e_vision_url__gpt4_vision_preview.json": (
        _OPENAI_2024_FIELDS
        | {
            "choices[].logprobs",
            "choices[].message.refusal",
            "system_fingerprint",
            "usage.completion_tokens_details",
            "usage.completion_tokens_details.reasoning_tokens",
            "usage.prompt_tokens_details",
            "usage.prompt_tokens_details.cached_tokens",
        },
        "A February 2024 gpt-4-vision-preview answer, from before logprobs, refusal and usage details.",
    ),
    "f_structured_output_json_schema_strict__gpt4o.json": (
        _OPENAI_2024_FIELDS,
        "An October 2024 answer, from before annotations, service_tier and audio/prediction token counts.",
    ),
    "c_multi_turn_function_response__gemini25flash.json": (
        {"candidates[].content.parts[].thoughtSignature", "usageMetadata.thoughtsTokenCount"},
        "Gemini 2.5 Flash thinks dynamically and did not think for this answer; the emulator always does.",
    ),
    "c_stream_json_array_after_function_response__gemini3flash.json": (
        {"candidates[].content.parts[].thoughtSignature", "usageMetadata.thoughtsTokenCount"},
        "Gemini 3 Flash did not think for this short answer; the emulator's thinking models always do.",
    ),
}


def _post(emulator: Emulator, http: Any, recording: dict[str, Any], key: str = "sk-anything") -> Any:
    _, path = door_and_path(recording)
    headers = {"authorization": f"Bearer {key}", "x-goog-api-key": key, "anthropic-version": "2023-06-01"}
    return http.post(emulator.url + path, json=recording["request"]["body"], headers=headers)


def _allowed(path: Path, vendor: str) -> set[str]:
    return NEWER_FIELDS[vendor] | BY_DESIGN.get(vendor, set()) | SPECIFIC.get(path.name, (set(), ""))[0]


def _compare_keys(recorded: set[str], emulated: set[str], allowed: set[str], where: str) -> None:
    missing = recorded - emulated
    extra = emulated - recorded - allowed
    assert not missing, f"{where}: the emulator lacks recorded keys {sorted(missing)}"
    assert not extra, f"{where}: the emulator sends keys the recording does not have: {sorted(extra)}"


@pytest.mark.parametrize("path", ALL, ids=[f"{p.parent.name}/{p.name}" for p in ALL])
def test_structure_matches_the_recording(em: Emulator, keyed: Emulator, http: Any, path: Path) -> None:
    recording = load(path)
    vendor = recording["vendor"]
    body = recording["response_body"]
    is_key_error = recording["status"] >= 400 and "API_KEY_INVALID" in json.dumps(body)
    if is_key_error:
        # Gemini's bad-key answer comes from the auth check itself, so send a wrong key to a keyed emulator.
        response = _post(keyed, http, recording, key="sk-not-" + TEST_KEY)
    else:
        em.script(turn_for(recording))
        response = _post(em, http, recording)
    assert response.status_code == recording["status"]
    assert response.headers["content-type"].lower() == recording["response_headers"]["content-type"].lower()
    allowed = _allowed(path, vendor)

    if not recording["stream"] or recording["status"] >= 400:
        recorded = json.loads(body) if isinstance(body, str) else body
        _compare_keys(key_paths(recorded), key_paths(response.json()), allowed, path.name)
        return

    recorded_shape = parse_stream(body)
    emulated_shape = parse_stream(response.text)
    assert emulated_shape.framing == recorded_shape.framing
    assert emulated_shape.line_end == recorded_shape.line_end
    assert emulated_shape.done_marker == recorded_shape.done_marker
    assert set(emulated_shape.keys_by_event) == set(recorded_shape.keys_by_event)
    for event, keys in recorded_shape.keys_by_event.items():
        _compare_keys(keys, emulated_shape.keys_by_event[event], allowed, f"{path.name} [{event}]")
    if vendor == "openai":
        _check_openai_stream(recorded_shape.payloads, emulated_shape.payloads)
    elif vendor == "anthropic":
        _check_anthropic_stream(recorded_shape.event_names, emulated_shape.event_names)
    else:
        _check_gemini_stream(body, response.text, recorded_shape.payloads, emulated_shape.payloads)


def _check_openai_stream(recorded: list[Any], emulated: list[Any]) -> None:
    def first_delta(chunks: list[Any]) -> set[str]:
        return set(chunks[0]["choices"][0]["delta"])

    def finish_chunk(chunks: list[Any]) -> dict[str, Any]:
        return [c for c in chunks if c["choices"]][-1]["choices"][0]

    # The recorded first delta may lack `refusal` (2024); everything it has, the emulator has.
    assert first_delta(recorded) <= first_delta(emulated)
    assert finish_chunk(emulated)["delta"] == finish_chunk(recorded)["delta"] == {}
    assert finish_chunk(emulated)["finish_reason"] == finish_chunk(recorded)["finish_reason"]
    assert (recorded[-1]["choices"] == []) == (emulated[-1]["choices"] == [])  # the usage chunk


def _check_anthropic_stream(recorded: list[str], emulated: list[str]) -> None:
    def order(names: list[str]) -> list[str]:
        return [name for name, _ in itertools.groupby(n for n in names if n != "ping")]

    assert order(emulated) == order(recorded)
    assert emulated.count("ping") == recorded.count("ping") == 1
    assert emulated.index("ping") == emulated.index("content_block_start") + 1
    assert recorded.index("ping") > recorded.index("content_block_start")


def _check_gemini_stream(
    recorded_text: str, emulated_text: str, recorded: list[Any], emulated: list[Any]
) -> None:
    if recorded_text.lstrip().startswith("["):
        assert emulated_text.startswith("[{\n") and emulated_text.endswith("\n]")
        assert ("\n,\r\n" in emulated_text) == ("\n,\r\n" in recorded_text)
    else:
        assert emulated_text.endswith("\r\n\r\n") and all(
            e.startswith("data: {") for e in emulated_text.split("\r\n\r\n")[:-1]
        )
    assert "finishReason" in emulated[-1]["candidates"][0] and "finishReason" in recorded[-1]["candidates"][0]
    assert all("finishReason" not in chunk["candidates"][0] for chunk in emulated[:-1])


def test_every_vendor_and_case_is_covered() -> None:
    covered = {(p.parent.name, p.name[0]) for p in ALL}
    for vendor in ("openai", "anthropic", "gemini"):
        assert {letter for v, letter in covered if v == vendor} >= set("abcdefgh")


def test_allowances_name_real_recordings() -> None:
    names = {p.name for p in ALL}
    assert set(SPECIFIC) <= names
