"""One meaning per usage field, whatever door the answer came through (decoded from the wire JSON)."""

from __future__ import annotations

import agentkit as ak
from agentkit.dialects import openai as openai_dialect
from agentkit.dialects import responses as responses_dialect


def _chat(usage: dict[str, object]) -> ak.Usage:
    body = {"id": "c", "object": "chat.completion", "created": 0, "model": "m", "usage": usage,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi"}}]}
    return openai_dialect.decode(body).usage


def _responses(usage: dict[str, object]) -> ak.Usage:
    body = {"id": "r", "object": "response", "status": "completed", "model": "m", "usage": usage,
            "output": [{"type": "message", "role": "assistant", "id": "m1", "status": "completed",
                        "content": [{"type": "output_text", "text": "Hi", "annotations": []}]}]}
    return responses_dialect.decode(body).usage


def test_claude_through_the_openai_door_reports_its_cache_writes() -> None:
    usage = _chat({"prompt_tokens": 1200, "completion_tokens": 40, "total_tokens": 1240,
                   "prompt_tokens_details": {"cached_tokens": 800, "cache_write_tokens": 300},
                   "completion_tokens_details": {"reasoning_tokens": 10}})
    assert usage == ak.Usage(input_tokens=1200, output_tokens=40, reasoning_tokens=10, cached_tokens=800,
                             cache_write_tokens=300)
    usage = _responses({"input_tokens": 1200, "output_tokens": 40, "total_tokens": 1240,
                        "input_tokens_details": {"cached_tokens": 800, "cache_write_tokens": 300},
                        "output_tokens_details": {"reasoning_tokens": 10}})
    assert usage == ak.Usage(1200, 40, 10, 800, 300)


def test_odd_counts_from_a_relay_read_as_zero_instead_of_failing_the_answer() -> None:
    odd = {"prompt_tokens": "12", "completion_tokens": -3, "prompt_tokens_details": None,
           "completion_tokens_details": {"reasoning_tokens": 1.5}}
    assert _chat(odd) == ak.Usage()
    assert _responses({"input_tokens": -7, "output_tokens": 5, "input_tokens_details": "n/a"}) == ak.Usage(0, 5)
