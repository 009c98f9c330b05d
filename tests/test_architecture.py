"""The package's structure: its layers (import-linter contracts in pyproject.toml) and the rule that it
stands only on the public surface of the vendor SDKs, httpx2 and asyncio."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "agentkit"
#: Libraries whose private names (a leading underscore) agentkit must never touch.
GUARDED = ("openai", "anthropic", "google.genai", "httpx", "httpx2", "asyncio")


def _guarded(module: str) -> bool:
    return any(module == root or module.startswith(root + ".") for root in GUARDED)


def _private_uses(path: Path) -> list[str]:
    """Every private module or attribute of a guarded library that `path` imports or reads."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    aliases: set[str] = set()  # local names bound to a guarded module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _guarded(alias.name):
                    if any(part.startswith("_") for part in alias.name.split(".")):
                        found.append(f"{path.name}:{node.lineno} import {alias.name}")
                    aliases.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and _guarded(node.module):
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append(f"{path.name}:{node.lineno} from {node.module}")
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{path.name}:{node.lineno} from {node.module} import {alias.name}")
                aliases.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in aliases:
                found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_no_private_name_of_an_sdk_httpx_or_asyncio_is_used() -> None:
    uses = [use for path in sorted(PACKAGE.rglob("*.py")) for use in _private_uses(path)]
    assert uses == []


def test_the_private_name_check_sees_private_uses(tmp_path: Path) -> None:
    """The check above fails on the kinds of use it forbids."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import asyncio\nfrom google.genai import _extra_utils\nfrom google.genai import models\n"
        "import openai._streaming\n"
        "def f(loop):\n    asyncio._set_running_loop(loop)\n    return models._GenerateContentResponse_from_mldev({})\n"
    )
    assert len(_private_uses(sample)) == 4


def test_the_import_contracts_hold() -> None:
    """Layers, no vendor SDK outside `agentkit.dialects`, no cycles (pyproject.toml [tool.importlinter])."""
    script = Path(sys.executable).parent / "lint-imports"
    if not script.exists():
        pytest.fail("import-linter is not installed; install the dev extras: pip install -e '.[dev]'")
    result = subprocess.run([str(script), "--no-cache"], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
