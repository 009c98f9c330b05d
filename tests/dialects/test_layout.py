"""The dialect modules' common shape, and vendor decisions kept inside `agentkit/dialects/`.

Each of the four dialect modules has the same public functions, its "schema" section first;
`tools.py`, `output.py` and `_schema_dialects.py` ask the dialect's module (`base.load`) rather
than branching on its name; helpers several dialects use live once, in `agentkit.dialects.shared`,
and no dialect module imports another.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit.dialects import DIALECTS
from agentkit.dialects.base import load

PACKAGE = Path(ak.__file__).resolve().parent
#: The "schema" section of every dialect module, in this order, before anything else public.
SCHEMA_SECTION = (
    "tool_schema",
    "tool_parameters",
    "tool_declaration",
    "shown_parameters",
    "output_schema",
    "output_mode",
)


def _module(dialect: str) -> Any:
    return importlib.import_module(f"agentkit.dialects.{dialect}")


def _tree(dialect: str) -> ast.Module:
    return ast.parse((PACKAGE / "dialects" / f"{dialect}.py").read_text(encoding="utf-8"))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_module_has_the_same_public_names(dialect: str) -> None:
    names = set(_module(dialect).__all__)
    assert names == set(_module(DIALECTS[0]).__all__)
    assert {"TOOL_FORMS", *SCHEMA_SECTION} <= names


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_schema_section_comes_first_in_the_same_order(dialect: str) -> None:
    public = [
        node.name
        for node in _tree(dialect).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
    ]
    assert tuple(public[: len(SCHEMA_SECTION)]) == SCHEMA_SECTION


@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_dialect_module_imports_another(dialect: str) -> None:
    imported: set[str] = set()
    for node in ast.walk(_tree(dialect)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    others = {f"agentkit.dialects.{other}" for other in DIALECTS if other != dialect}
    assert imported & others == set()


def test_load_names_the_dialects_when_it_does_not_know_one() -> None:
    with pytest.raises(
        ak.ConfigurationError, match=r"Unknown dialect 'cohere'; use one of 'openai', 'responses', 'anthropic', 'gemini'\."
    ):
        load("cohere")


def test_the_per_dialect_tables_live_in_the_dialect_modules() -> None:
    """Vendor decisions only in dialects/: whether tool results take images, where native output goes."""
    assert {dialect: load(dialect).TOOL_RESULT_IMAGES for dialect in DIALECTS} == {
        "openai": False, "responses": True, "anthropic": True, "gemini": True}
    assert {dialect: load(dialect).NATIVE_OUTPUT_PARAMETER for dialect in DIALECTS} == {
        "openai": "`response_format`", "responses": "`text.format`", "anthropic": "`output_config.format`",
        "gemini": "`response_json_schema`"}


def test_the_tool_forms_each_dialect_takes() -> None:
    assert {dialect: load(dialect).TOOL_FORMS for dialect in DIALECTS} == {
        "openai": (),
        "responses": (),
        "anthropic": (),
        "gemini": ("json", "parameters"),
    }


@pytest.mark.parametrize(
    ("dialect", "model", "has_tools", "mode"),
    [
        ("gemini", "gemini-2.5-flash", True, "tool"),  # rejects tools together with a response schema
        ("gemini", "gemini-2.5-flash", False, "native"),
        ("gemini", "gemini-3-pro-preview", True, "native"),
        ("openai", "gpt-4o", True, "native"),
        ("responses", "gpt-5", True, "native"),
        ("anthropic", "claude-sonnet-4-5", True, "native"),
    ],
)
def test_the_first_structured_output_mode(dialect: str, model: str, has_tools: bool, mode: str) -> None:
    assert load(dialect).output_mode(model, has_tools=has_tools) == mode


def test_tool_schemas_need_no_vendor_sdk() -> None:
    code = (
        "import sys, agentkit as ak\n"
        "@ak.tool\n"
        "def f(city: str, days: int = 1) -> str:\n"
        "    '''Forecast.'''\n"
        "    return city\n"
        "for dialect in ak.DIALECTS:\n"
        "    f.to_schema(dialect); f.invoke({'city': 'Oslo'}, dialect=dialect)\n"
        "f.to_schema('gemini', form='parameters')\n"
        "print(','.join(m for m in ('openai', 'anthropic', 'google.genai') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# ------------------------------------------------------------------ no vendor branches outside dialects/

NO_DIALECT_BRANCHES = ("tools.py", "output.py", "_schema_dialects.py")


def _names_a_dialect(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and "dialect" in node.id) or (
        isinstance(node, ast.Attribute) and "dialect" in node.attr
    )


def _is_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_is_text(element) for element in node.elts)
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _dialect_branches(path: Path) -> list[str]:
    """Every comparison of a dialect name with a string: `dialect == "gemini"`, `dialect in ("openai", ...)`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(map(_names_a_dialect, sides)) and any(map(_is_text, sides)):
                found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_tools_output_and_the_transformers_do_not_branch_on_the_dialect() -> None:
    assert [hit for name in NO_DIALECT_BRANCHES for hit in _dialect_branches(PACKAGE / name)] == []


def test_the_branch_check_sees_branches(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'if dialect == "gemini":\n    pass\n'
        'if self.dialect in ("openai", "responses"):\n    pass\n'
        'if mode == "native" or dialect is None:\n    pass\n'
    )
    assert len(_dialect_branches(sample)) == 2
