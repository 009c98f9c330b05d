"""agentkit reads signatures and type hints through the public surface of the standard library's
introspection modules only: no private name of `inspect`, `typing`, `types` or `dataclasses` (such
names change between Python versions without notice). The vendor SDKs, httpx and asyncio have the
same check in tests/test_architecture.py."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "agentkit"
GUARDED = ("inspect", "typing", "types", "dataclasses")


def private_uses(source: str) -> list[str]:
    """`from inspect import _x` and `inspect._x` (also through an alias) for the guarded modules."""
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in GUARDED:
                    aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module in GUARDED and node.level == 0:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            found.append(f"line {node.lineno}: {aliases[node.value.id]}.{node.attr}")
    return found


def test_the_checker_sees_private_names() -> None:
    source = ("import inspect\nimport typing as t\nfrom dataclasses import _FIELDS\n"
              "k: inspect._ParameterKind\na = t._GenericAlias\n")
    assert private_uses(source) == [
        "line 3: from dataclasses import _FIELDS",
        "line 4: inspect._ParameterKind",
        "line 5: typing._GenericAlias",
    ]
    assert private_uses("import inspect\nk = inspect.Parameter.POSITIONAL_ONLY\nd = inspect.__doc__\n") == []


def test_agentkit_uses_no_private_name_of_the_introspection_modules() -> None:
    found = {str(path.relative_to(PACKAGE)): uses for path in sorted(PACKAGE.rglob("*.py"))
             if (uses := private_uses(path.read_text(encoding="utf-8")))}
    assert found == {}
