"""The README teaches: its first example runs as written (offline, on the emulator)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _first_python_block() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match, "the README has no Python example"
    return match.group(1)


def test_the_first_example_teaches_tool_and_agent_and_runs() -> None:
    code = _first_python_block()
    assert text_before_first_heading_has(code)
    assert "@ak.tool" in code and "ak.Agent(" in code
    assert len(code.strip().splitlines()) <= 20
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "Paris" in done.stdout or "21" in done.stdout


def text_before_first_heading_has(code: str) -> bool:
    """The example comes before any `##` section: it is the first thing a reader sees."""
    text = (ROOT / "README.md").read_text()
    return text.index(code) < text.index("\n## ")


def test_the_notebook_extra_installs_what_the_tours_need() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", item)[0].lower() for item in extras["notebook"]}
    assert {"jupyterlab", "ipykernel", "ipywidgets", "pillow"} <= names
    readme = (ROOT / "README.md").read_text()
    assert '".[notebook]"' in readme
    for tour in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert tour.name in readme, f"the README does not point to {tour.name}"


def test_the_set_up_commands_are_unchanged_and_benchmarks_live_in_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "pip install -e . && python -m agentkit demo" in readme
    assert 'pip install -q -e ".[dev]" && python -m pytest -n 2 -q' in readme
    assert "| dialect | async |" not in readme
    assert "| dialect | async |" in (ROOT / "docs" / "performance.md").read_text()
    assert "docs/performance.md" in readme
