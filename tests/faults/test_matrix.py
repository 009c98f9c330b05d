"""The fault matrix (harness.CASES) in every dialect, streaming and not.

Each row is checked in all four dialects; the same relay failure must end the same way in every
one of them (same agentkit error class, same number of requests: google-genai, which has no
retries of its own, gets exactly the retries openai and anthropic get).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import MODELS, Case, Relays, cases_for, emulator_relays, run_case, verify


@pytest.fixture(scope="module")
def relays() -> Iterator[Relays]:
    with emulator_relays() as relays:
        yield relays


def _check(relays: Relays, case: Case, streaming: bool) -> None:
    outcomes = [run_case(relays, case, model, streaming) for model in MODELS]
    problems = [f"{o.label}: {p}" for o in outcomes for p in verify(relays, o)]
    assert not problems, "\n".join(problems)
    kinds = {(o.summary(), o.requests) for o in outcomes}
    assert len(kinds) == 1, f"different outcomes across dialects: {[(o.model, o.summary(), o.requests) for o in outcomes]}"


@pytest.mark.parametrize("case", cases_for(False), ids=lambda c: c.name)
def test_non_streaming(relays: Relays, case: Case) -> None:
    _check(relays, case, streaming=False)


@pytest.mark.parametrize("case", cases_for(True), ids=lambda c: c.name)
def test_streaming(relays: Relays, case: Case) -> None:
    _check(relays, case, streaming=True)
