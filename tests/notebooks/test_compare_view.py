"""The side-by-side view of `ak.compare` in a real JupyterLab, driven by headless Chromium.

Runs notebooks/08_compare.ipynb and checks what a person sees in its first comparison: a column
per model, each a live view (streaming answer, tool card, footer with tokens and seconds) while
the runs go, then the finished columns with the table (cost included) under them. Screenshots go
to test-artifacts/ (compare-view.png is the one in docs/screenshots/).
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from tests.notebooks.harness import ARTIFACTS, CHROMIUM, NOTEBOOKS, SECRET, Lab, run_in_lab
from tests.notebooks.test_browser import KERNEL_READY

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
    pytest.mark.timeout(180),
]

MODELS = ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro", "deepseek-r1"]


def test_compare_view_in_jupyterlab(tmp_path: Path) -> None:
    run_in_lab(NOTEBOOKS / "08_compare.ipynb", tmp_path, _drive, name="compare-view",
               viewport={"width": 1500, "height": 1800})


def _drive(page: Any, lab: Lab) -> None:
    page.goto(lab.notebook_url("08_compare.ipynb"))
    page.wait_for_function(KERNEL_READY, timeout=60_000)
    for dialog in page.locator(".jp-Dialog").all():
        dialog.locator(".jp-mod-accept").click()
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(1).locator(".jp-OutputArea")
    cell.locator(".ak-compare-view").wait_for(timeout=60_000)
    live_columns: list[int] = []
    streamed: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if cell.locator(".ak-compare-view.ak-final").count():
            break
        live = cell.locator(".ak-compare .ak-compare-column .ak-live")
        live_columns.append(live.count())
        streamed.append(sum(len(t) for t in cell.locator(".ak-compare .ak-text-view").all_inner_texts()))
        if len(streamed) == 3:
            cell.screenshot(path=str(ARTIFACTS / "compare-view-midstream.png"))
        time.sleep(0.1)
    final = cell.locator(".ak-compare-view.ak-final")
    assert final.count() == 1, "the comparison never finished"
    # While the runs went: a live view per model, their text growing.
    assert max(live_columns, default=0) == 4, live_columns
    assert any(b > a for a, b in itertools.pairwise(streamed)), streamed

    columns = final.locator(".ak-compare > .ak-compare-column")
    assert columns.count() == 4
    for index, model in enumerate(MODELS):
        column = columns.nth(index)
        assert model in column.locator(".ak-footer-view").inner_text()
        assert "done" in column.locator(".ak-footer-view").inner_text()
        assert column.locator('.ak-tool[data-tool="get_weather"][data-status=ok]').count() == 1
        assert '"temperature_c": 24' in column.inner_text()
        assert "cost" in column.locator(".ak-compare-cost").inner_text()
    rows = final.locator("table.ak-grid tbody tr")
    assert rows.count() == 4
    assert [rows.nth(i).get_attribute("data-model") for i in range(4)] == MODELS
    boxes = [columns.nth(i).bounding_box() for i in range(4)]
    assert all(b is not None for b in boxes)
    tops = {round(b["y"]) for b in boxes if b is not None}
    assert len(tops) == 1, f"the columns are not side by side: {boxes}"  # one row, not stacked
    cell.screenshot(path=str(ARTIFACTS / "compare-view.png"))

    assert SECRET not in page.content()
