"""The recorded structured-output exchanges (`realtraffic/*/f_*`), replayed through `agent(..., output=)`.

The recorded conversation becomes the agent's history, the recorded schema its `output=`, and a
loopback server answers with the recorded body or stream. Native recordings must give the
recorded JSON as `reply.output` (and partial objects while streaming); a refusal must raise
`ak.OutputRefusedError` with the model's words; a forced-tool recording is reached the way a
relay without native support makes the agent reach it: a 400 on the native parameter first, then
the forced `final_result` call, whose arguments are the answer. New recordings are picked up.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit._schema_dialects import openapi_to_json_schema
from agentkit.events import OutputDelta
from agentkit.output import OutputFallbackWarning
from tests.vision._recorded import answer, bad_request, cases, is_json_array_stream, load, model_of, serve

CASES = cases("f")


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def _schema(vendor: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the JSON Schema the recording asked for, whether it asked through a forced tool)."""
    if vendor == "openai":
        if body.get("response_format", {}).get("type") == "json_schema":
            return body["response_format"]["json_schema"]["schema"], False
        (tool,) = body["tools"]
        return tool["function"]["parameters"], True
    if vendor == "anthropic":
        fmt = (body.get("output_config") or {}).get("format") or body.get("output_format")
        if fmt:
            return fmt["schema"], False
        (tool,) = body["tools"]
        return tool["input_schema"], True
    config = {_snake(k): v for k, v in (body.get("generationConfig") or body.get("generation_config") or {}).items()}
    if "response_json_schema" in config:
        return config["response_json_schema"], False
    if "response_schema" in config:  # the OpenAPI subset: upper-case types, `nullable`
        return openapi_to_json_schema(config["response_schema"]), False
    declarations = [d for t in body.get("tools") or [] for d in t.get("functionDeclarations", t.get("function_declarations", []))]
    (declaration,) = declarations
    return declaration.get("parametersJsonSchema") or declaration.get("parameters_json_schema") or (
        openapi_to_json_schema(declaration["parameters"])
    ), True


def _tools(vendor: str, body: dict[str, Any], forced: bool) -> list[ak.Tool]:
    """Stand-ins for the recorded tools (the forced output tool is the agent's own `final_result`)."""
    if forced:
        return []
    out = []
    for raw in body.get("tools") or []:
        spec = raw.get("function", raw)
        parameters = spec.get("parameters") or spec.get("input_schema") or {"type": "object", "properties": {}}
        out.append(ak.Tool.from_schema(spec["name"], spec.get("description") or "", parameters, lambda **kw: "ok"))
    return out


def _no_nulls(value: Any) -> Any:
    """Optional values sent as null mean "left out" (strict mode spells optional that way)."""
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nulls(v) for v in value]
    return value


@pytest.mark.skipif(not CASES, reason="no structured-output recordings found")
@pytest.mark.parametrize(("vendor", "path"), CASES, ids=[p.stem for _, p in CASES])
def test_structured_recording_replays_through_the_agent(vendor: str, path: Path) -> None:
    recording = load(path)
    if is_json_array_stream(recording):
        pytest.skip("a Gemini JSON-array stream cannot be requested through the SDK")
    body = recording["request"]["body"]
    schema, forced = _schema(vendor, body)
    expected = answer(vendor, recording)
    history = ak.from_dialect(vendor, body)
    before = [bad_request(vendor, "Unknown parameter: structured output is not supported here.")] if forced else []

    with serve(recording, before) as server:
        relay = ak.Relay(server.url, api_key="sk-replay-test")
        agent = ak.Agent(model_of(vendor, recording), tools=_tools(vendor, body, forced), relay=relay,
                         display=False, output_retries=0)
        agent.history = list(history)
        run = agent.stream if recording.get("stream") else None
        if expected["refusal"]:
            with pytest.raises(ak.OutputRefusedError) as caught:
                agent(output=schema)
            assert caught.value.refusal == expected["refusal"] or vendor != "openai"
            assert [m.role for m in agent.history][-1] == "assistant"
            return
        if forced:
            with pytest.warns(OutputFallbackWarning, match="forced call"):
                reply = agent(output=schema)
        elif run is not None:
            stream = run(output=schema)
            partials = [e.partial for e in stream if isinstance(e, OutputDelta)]
            reply = stream.reply
            assert reply is not None
            assert partials and _no_nulls(partials[-1]) == _no_nulls(json.loads(expected["text"]))
        else:
            reply = agent(output=schema)

    wanted = expected["tool_input"] if forced else json.loads(expected["text"])
    assert _no_nulls(reply.output) == _no_nulls(wanted)
    if forced:
        rejected, sent = server.posts
        assert "final_result" in json.dumps(sent) and "final_result" not in json.dumps(rejected)
    else:
        (sent,) = server.posts
        for name in schema.get("properties", {}):
            assert f'"{name}"' in json.dumps(sent)  # the schema went out with the request
