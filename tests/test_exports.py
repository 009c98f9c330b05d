"""The public surface: every name in `__all__` resolves, the list is sorted, and importing is light."""

from __future__ import annotations

import subprocess
import sys

import agentkit as ak


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert ak.__all__ == sorted(ak.__all__)
    for name in ak.__all__:
        assert getattr(ak, name) is not None, name
    assert ak.DIALECTS == ("openai", "responses", "anthropic", "gemini")


def test_import_agentkit_imports_no_vendor_sdk_and_no_pydantic() -> None:
    code = (
        "import sys, agentkit\n"
        "heavy = ('openai', 'anthropic', 'google.genai', 'pydantic', 'httpx2', 'jsonschema', 'ipywidgets')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_unknown_attribute_says_so() -> None:
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ak.nope  # noqa: B018
