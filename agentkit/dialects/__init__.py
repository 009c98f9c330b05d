"""The four wire dialects. Each dialect module imports its vendor SDK lazily, on first use.

This package's `__init__` holds only the dialect names, so `agentkit.relay` can use them without
importing any SDK.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

Dialect: TypeAlias = Literal["openai", "responses", "anthropic", "gemini"]
"""OpenAI Chat Completions, OpenAI Responses, Anthropic Messages, Gemini generateContent."""

DIALECTS: tuple[Dialect, ...] = get_args(Dialect)

#: The relay door each dialect goes through (Responses shares the OpenAI door).
DOOR_OF: dict[Dialect, Literal["openai", "anthropic", "gemini"]] = {
    "openai": "openai",
    "responses": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
}

__all__ = ["DIALECTS", "DOOR_OF", "Dialect"]
