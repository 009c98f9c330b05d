"""Fixtures for the emulator tests: one emulator per test session (plus one that requires a key).

Why session-scoped: starting uvicorn and constructing SDK clients costs far more than a request, and
every test resets the emulator's script, faults and log through the `em` / `keyed` fixtures, so
sharing the servers is safe (pytest-xdist workers each get their own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from agentkit.emulator import Emulator

TEST_KEY = "sk-test-emulator-0123456789"


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """An emulator that accepts any key."""
    with Emulator() as running:
        yield running


@pytest.fixture(scope="session")
def keyed_emulator() -> Iterator[Emulator]:
    """An emulator that requires TEST_KEY."""
    with Emulator(api_key=TEST_KEY) as running:
        yield running


@pytest.fixture
def em(emulator: Emulator) -> Iterator[Emulator]:
    """The shared open emulator with an empty script, fault queue and log."""
    emulator.reset()
    yield emulator
    emulator.reset()


@pytest.fixture
def keyed(keyed_emulator: Emulator) -> Iterator[Emulator]:
    """The shared keyed emulator with an empty script, fault queue and log."""
    keyed_emulator.reset()
    yield keyed_emulator
    keyed_emulator.reset()


@pytest.fixture(scope="session")
def oai(emulator: Emulator) -> Any:
    """A synchronous OpenAI client on the open emulator, without retries."""
    import openai

    return openai.OpenAI(base_url=emulator.url + "/v1", api_key="sk-anything", max_retries=0, timeout=10)


@pytest.fixture(scope="session")
def claude(emulator: Emulator) -> Any:
    """A synchronous Anthropic client on the open emulator, without retries."""
    import anthropic

    return anthropic.Anthropic(
        base_url=emulator.url + "/anthropic", api_key="sk-anything", max_retries=0, timeout=10
    )


@pytest.fixture(scope="session")
def gem(emulator: Emulator) -> Any:
    """A google-genai client on the open emulator (v1beta, 10 s timeout, no retries)."""
    from google import genai
    from google.genai import types

    return genai.Client(
        api_key="sk-anything",
        http_options=types.HttpOptions(base_url=emulator.url, api_version="v1beta", timeout=10_000),
    )


@pytest.fixture
async def aoai(emulator: Emulator) -> AsyncIterator[Any]:
    """An async OpenAI client bound to the running test's event loop."""
    import openai

    client = openai.AsyncOpenAI(
        base_url=emulator.url + "/v1", api_key="sk-anything", max_retries=0, timeout=10
    )
    yield client
    await client.close()


@pytest.fixture(scope="session")
def http(emulator: Emulator) -> Iterator[Any]:
    """A raw HTTP client, for checking bytes on the wire."""
    import httpx2

    with httpx2.Client(timeout=10) as client:
        yield client
