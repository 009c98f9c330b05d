"""Fixtures for the usage, cost and caching tests: the emulator tests' shared emulator, reset per test."""

from __future__ import annotations

import pytest

import agentkit as ak
from agentkit.emulator import Emulator
from tests.emulator.conftest import em, emulator

__all__ = ["em", "emulator", "get_weather", "relay"]


def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city's name.
    """
    return f"Sunny and 21 C in {city}"


@pytest.fixture
def relay(em: Emulator) -> ak.Relay:
    return em.relay()
