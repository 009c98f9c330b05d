"""A module whose functions become a tool set (`ak.tools_from(module)`)."""

from __future__ import annotations

from json import dumps  # imported: not one of this module's tools

from agentkit.tools import tool

__all__ = ["add", "dumps", "echo_upper", "helper", "shout", "untyped"]


def add(a: int, b: int = 1) -> int:
    """Add two numbers."""
    return a + b


@tool(name="shout_loud")
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


def echo_upper(text: str) -> str:
    """Echo a text in upper case."""
    return text.upper()


def helper(x: int) -> int:  # no docstring: not a tool
    return x


def untyped(x):  # type: ignore[no-untyped-def]
    """Documented but without type hints: not a tool."""
    return x


def _private(x: int) -> int:
    """Private: not a tool."""
    return x


_ = dumps
