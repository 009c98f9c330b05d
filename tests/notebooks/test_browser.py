"""The live view in a real JupyterLab, driven by headless Chromium.

Runs tests/notebooks/live_view.ipynb (a slow-streaming emulator run: reasoning, four tool calls in
parallel, one returning a chart, a user image, a Markdown answer, structured output, then tools
that need approval in a sync and an async cell) and checks what a person would see: the answer
text grows while it streams, the tool cards hold the tool results, the thumbnails are there, the
structured output table holds the values, and the Approve/Deny buttons work while the cell runs.
Screenshots go to test-artifacts/ (mid-stream and final), and a failure keeps one too.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.notebooks.harness import ARTIFACTS, CHROMIUM, SECRET, Lab, run_in_lab

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
    pytest.mark.timeout(180),
]

HERE = Path(__file__).parent
KERNEL_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""
CLIPBOARD = "() => navigator.clipboard.readText()"
TEXT_LENGTHS = "() => Array.from(document.querySelectorAll('.ak-live .ak-text-view')).map(e => e.innerText.length)"


def _outputs_of(page: Any, index: int) -> Any:
    """The output area of the index-th code cell."""
    return page.locator(".jp-Notebook .jp-CodeCell").nth(index).locator(".jp-OutputArea")


def test_live_view_in_jupyterlab(tmp_path: Path) -> None:
    # Tall enough for a whole run: element screenshots are clipped to the viewport.
    run_in_lab(HERE / "live_view.ipynb", tmp_path, _drive, name="live-view", viewport={"width": 1280, "height": 2400},
               permissions=["clipboard-read", "clipboard-write"])


def _drive(page: Any, lab: Lab) -> None:
    page.goto(lab.notebook_url("live_view.ipynb"))
    page.wait_for_function(KERNEL_READY, timeout=60_000)
    for dialog in page.locator(".jp-Dialog").all():  # "Select Kernel" may still appear
        dialog.locator(".jp-mod-accept").click()
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    # Not awaited: the command's promise resolves only when every cell is done (and two wait for clicks).
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

    # 1. The answer streams: its text grows over several samples, and we catch it mid-way.
    first = _outputs_of(page, 1)
    first.locator(".ak-live").wait_for(timeout=60_000)
    lengths: list[int] = []
    shot_taken = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        total = sum(page.evaluate(TEXT_LENGTHS))
        if not lengths or total != lengths[-1]:
            lengths.append(total)
        if not shot_taken and total > 300:
            first.screenshot(path=str(ARTIFACTS / "live-view-midstream.png"))
            shot_taken = True
        if first.locator(".ak-footer-view .ak-status.ak-ok").count():
            break
        time.sleep(0.12)
    assert first.locator(".ak-footer-view .ak-status.ak-ok").count() == 1, "the first run never finished"
    growing = [b for a, b in itertools.pairwise(lengths) if b > a]
    assert len(growing) >= 4, f"the streamed text did not grow in steps: {lengths}"
    assert shot_taken

    # 2. Four tool cards, side by side, with the emulator run's results; the chart as a thumbnail.
    cards = first.locator(".ak-tool")
    assert cards.count() == 4
    text = first.inner_text()
    for city, temperature in (("Paris", 18), ("London", 14), ("Tokyo", 24)):
        assert f'"city": "{city}"' in text and f'"temperature_c": {temperature}' in text
    assert first.locator(".ak-tool[data-status=ok]").count() == 4
    chart = first.locator(".ak-tool[data-tool=plot_temperatures] .ak-thumb img")
    assert chart.count() == 1 and chart.evaluate("img => img.naturalWidth") > 100
    user_image = first.locator(".ak-user-view .ak-thumb img")
    assert user_image.count() == 1 and user_image.evaluate("img => img.naturalWidth") > 100
    assert first.locator(".ak-text-view table").count() == 1  # the Markdown table was rendered
    assert "Reasoning" in first.locator(".ak-reasoning-view").first.inner_text()
    footer = first.locator(".ak-footer-view").inner_text()
    assert "claude-sonnet-4-5" in footer and "anthropic" in footer and "2 turns" in footer
    # Copy buttons in the finished run (the static form its cell keeps): the answer's Markdown source
    # (the table as pipes, not the rendered table's text) and a result's JSON.
    first.locator(".ak-answer > .ak-copy").click()
    copied = page.evaluate(CLIPBOARD)
    assert "| City | Temperature | Sky |" in copied and "```python" in copied
    first.locator(".ak-tool[data-tool=get_weather]").first.locator(".ak-copy").nth(1).click()
    assert json.loads(page.evaluate(CLIPBOARD)) == {"city": "Paris", "temperature_c": 18, "sky": "sunny"}

    # 3. Structured output: a table holding the values.
    second = _outputs_of(page, 2)
    second.locator(".ak-footer-view .ak-status.ak-ok").wait_for(timeout=60_000)
    grid = second.locator(".ak-output-view table.ak-grid")
    assert grid.count() == 1
    rows = grid.locator("tbody tr").all_inner_texts()
    assert [r.split("\t")[:3] for r in rows] == [["Paris", "18.0", "sunny"], ["London", "14.0", "cloudy"],
                                                  ["Tokyo", "24.0", "sunny"]]
    assert "Tokyo" in second.locator(".ak-output-view table.ak-kv").first.inner_text()
    second.screenshot(path=str(ARTIFACTS / "live-view-structured.png"))
    page.set_viewport_size({"width": 1280, "height": 3200})  # both runs fit: no clipped screenshot
    page.locator(".jp-Notebook .jp-CodeCell").nth(1).scroll_into_view_if_needed()
    first.screenshot(path=str(ARTIFACTS / "live-view-final.png"))
    top, bottom = first.bounding_box(), second.bounding_box()
    if top and bottom:  # the tool run and the structured-output run below it, in one picture
        page.screenshot(path=str(ARTIFACTS / "live-view-final-with-output.png"),
                        clip={"x": top["x"] - 80, "y": top["y"], "width": top["width"] + 90,
                              "height": bottom["y"] + bottom["height"] - top["y"]})
    page.set_viewport_size({"width": 1280, "height": 2400})

    # 4. Approval in a sync cell: the run waits for the click, then the tool runs.
    third = _outputs_of(page, 3)
    approve = third.locator("button.ak-approve")
    approve.wait_for(timeout=60_000)
    time.sleep(0.5)
    assert third.locator(".ak-tool[data-status=waiting]").count() == 1
    # A copy button inside the live widget (an ipywidgets HTML value: attribute handlers run there).
    assert third.locator(".ak-final").count() == 0 and third.locator(".widget-html .ak-copy").count() == 1
    copy = third.locator(".ak-tool[data-status=waiting] .ak-copy")
    copy.click()
    assert copy.inner_text() == "Copied"
    assert json.loads(page.evaluate(CLIPBOARD)) == {"restaurant": "Chez Emile", "people": 2}
    third.screenshot(path=str(ARTIFACTS / "live-view-approval.png"))
    approve.click()
    third.locator(".ak-footer-view .ak-status.ak-ok").wait_for(timeout=30_000)
    assert "Booked Chez Emile for 2." in third.inner_text()
    _outputs_of(page, 4).get_by_text("sync approval: Booked Chez Emile for 2.").wait_for(timeout=30_000)

    # 5. And in an async cell (await agent.arun): Deny.
    fifth = _outputs_of(page, 5)
    fifth.locator("button.ak-deny").wait_for(timeout=60_000)
    fifth.locator("button.ak-deny").click()
    fifth.get_by_text("async approval:").wait_for(timeout=30_000)
    assert "did not approve" in fifth.inner_text()
    assert SECRET not in page.content()
