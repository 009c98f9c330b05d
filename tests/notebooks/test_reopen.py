"""A saved notebook reopens in JupyterLab and in Notebook 7 showing every run, with no kernel and no
widget state.

Neither saves widget state by default. The quickstart tour (plus a run with an image and one with
structured output) is executed (nbclient), its widget state dropped as the front ends would, and
the file opened in headless Chromium without running anything, in JupyterLab (`/lab/tree/...`) and
in Notebook 7 (`/notebooks/...`, served by the same server): every run shows its answer, tool
cards, images, output and footer, and no "Error displaying widget" appears anywhere. The copy
buttons copy the real text where the notebook is trusted, and stay hidden where it is not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.notebooks.harness import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    NOTEBOOKS,
    SECRET,
    Lab,
    execute,
    kernel_env,
    save_failure,
)

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
    pytest.mark.timeout(240),
]


CONTRAST = """(selector) => {
  const rgb = (c) => { const v = (c.replace(/^color\\(srgb/, "").match(/[\\d.]+/g) || []).map(Number);
    return c.startsWith("color(srgb") ? v.map((x, i) => (i < 3 ? x * 255 : x)) : v; };  // color-mix() gives 0-1
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (e) => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3); } return [255, 255, 255]; };
  return Array.from(document.querySelectorAll(selector)).slice(0, 5).map((e) => {
    const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(background(e))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}"""
# Text a reader must read: JSON keys, strings, numbers, answers, labels, the footer and its status.
READ = [".ak-json .ak-k", ".ak-json .ak-s", ".ak-json .ak-n", ".ak-md p", ".ak-tool-name", ".ak-chip b",
        ".ak-status", ".ak-bubble"]


def _check_contrast(page: Any, theme: str) -> None:
    """WCAG AA: 4.5:1 for normal text (in the current theme)."""
    page.evaluate(f"() => window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{theme}'}})")
    page.wait_for_function(f"() => document.body.dataset.jpThemeName === '{theme}'", timeout=30_000)
    page.wait_for_timeout(800)
    for selector in READ:
        ratios = page.evaluate(CONTRAST, f".jp-Notebook .ak-live {selector}")
        assert ratios, f"nothing matches {selector}"
        assert min(ratios) >= 4.5, f"{selector} in {theme}: contrast {min(ratios):.2f} < 4.5"
    page.locator(".jp-Notebook .jp-CodeCell").nth(3).scroll_into_view_if_needed()
    name = "dark" if "Dark" in theme else "light"
    page.locator(".jp-Notebook .jp-CodeCell").nth(3).screenshot(path=str(ARTIFACTS / f"theme-{name}.png"))


# Run after the quickstart's own runs (before its last cell stops the emulator): a user image and
# structured output, so the reopened notebook holds every kind of section.
EXTRA_CELLS = [
    """import io

from PIL import Image as PILImage

buffer = io.BytesIO()
PILImage.new("RGB", (64, 48), "#e4572e").save(buffer, format="PNG")
ak.Agent("claude-sonnet-4-5", relay=relay)("What is in this picture?", images=[buffer.getvalue()])""",
    """from pydantic import BaseModel


class City(BaseModel):
    name: str
    population: int


ak.Agent("gpt-4o", relay=relay)("Tell me about Paris, population 2102650", output=City)""",
]
COPY_SCOPE = ".jp-Notebook .ak-live .ak-tool .ak-copy"  # no data-* selectors: untrusted outputs lose them


def _check_runs(page: Any, url: str, *, trusted: bool, styled_checks: bool = True) -> None:
    page.goto(url)
    page.locator(".jp-Notebook .ak-live .ak-tool").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # let every output render (and any widget error appear)
    runs = page.locator(".jp-Notebook .ak-live")
    assert runs.count() == 5  # one per run shown live in the notebook
    assert "offline emulator" in runs.first.inner_text()
    assert page.locator(".jp-Notebook .ak-live .ak-tool").count() >= 4
    for i in range(runs.count()):
        assert "done" in runs.nth(i).locator(".ak-footer-view").inner_text()
    picture = page.locator(".jp-Notebook .ak-live .ak-user-view .ak-thumb img")
    assert picture.count() == 1
    picture.scroll_into_view_if_needed()  # thumbnails load lazily
    assert picture.evaluate("img => img.decode().then(() => img.naturalWidth)") == 64
    assert "a PNG image, 64x48 pixels" in runs.nth(3).inner_text()
    assert "2102650" in runs.nth(4).locator(".ak-output-view").inner_text()
    assert "Error displaying widget" not in page.locator(".jp-Notebook").inner_text()
    assert SECRET not in page.content()
    buttons = page.locator(COPY_SCOPE)
    assert buttons.count() >= 6  # arguments and result of each tool card
    if not trusted:  # the sanitizer dropped the handler: the button stays hidden, not dead
        assert not any(buttons.nth(i).is_visible() for i in range(buttons.count()))
    else:
        _check_copy(page)
    if trusted and styled_checks:  # styled as it was live: the cards in a grid, their statuses kept
        assert page.locator(".jp-Notebook .ak-live .ak-tool[data-status=ok]").count() >= 4
        grid = page.locator(".jp-Notebook .ak-live .ak-tools-view").first
        assert grid.evaluate("e => getComputedStyle(e).display") == "grid"
        # Tables are laid out by the view, not by JupyterLab's output CSS (right-aligned, centred).
        cells = page.locator(".jp-Notebook .ak table td")
        assert cells.count() > 0
        assert {cells.nth(i).evaluate("e => getComputedStyle(e).textAlign") for i in range(cells.count())} <= {
            "left", "start"}
        table = page.locator(".jp-Notebook .ak table.ak-kv").first
        assert table.evaluate("e => getComputedStyle(e).marginLeft") == "0px"
        _check_contrast(page, "JupyterLab Dark")
        _check_contrast(page, "JupyterLab Light")
    if styled_checks:
        page.screenshot(path=str(ARTIFACTS / f"reopened-{'trusted' if trusted else 'untrusted'}.png"), full_page=True)


def _check_copy(page: Any) -> None:
    """A click puts the real text on the clipboard: the result's full JSON, the answer's source."""
    result = page.locator(".jp-Notebook .ak-live .ak-tool[data-tool=get_weather]").first.locator(".ak-copy").nth(1)
    assert result.is_visible()
    result.click()
    assert result.inner_text() == "Copied"
    copied = json.loads(page.evaluate("() => navigator.clipboard.readText()"))
    assert copied == {"city": "Paris", "temperature": 18, "unit": "c", "sky": "sunny"}
    answer = page.locator(".jp-Notebook .ak-live .ak-answer > .ak-copy").first
    answer.click()
    assert page.evaluate("() => navigator.clipboard.readText()").startswith("Hello! I am agentkit's offline emulator")


def test_a_saved_notebook_reopens_showing_every_run(tmp_path: Path) -> None:
    """Saved by its author (JupyterLab signs what it saves: trusted, styled) or shared (untrusted: the
    sanitizer drops styles, the content stays); in JupyterLab and in Notebook 7."""
    from playwright.sync_api import sync_playwright

    source = nbformat.read(NOTEBOOKS / "01_quickstart.ipynb", as_version=4)
    source.cells[-1:-1] = [nbformat.v4.new_code_cell(code) for code in EXTRA_CELLS]
    nbformat.write(source, tmp_path / "quickstart_plus.ipynb")
    book = execute(tmp_path / "quickstart_plus.ipynb", tmp_path)
    book.metadata.pop("widgets", None)  # what JupyterLab saves by default: no widget state
    root = tmp_path / "root"
    root.mkdir()
    nbformat.write(book, root / "mine.ipynb")
    # Trust is per content (a signature of the whole file): the shared copy must differ from the
    # signed one, or it would be trusted too.
    book.metadata["shared_by"] = "someone else"
    nbformat.write(book, root / "shared.ipynb")
    sign = "from nbformat.sign import TrustNotebookApp; TrustNotebookApp.launch_instance()"
    subprocess.run([sys.executable, "-c", sign, str(root / "mine.ipynb")], env=kernel_env(tmp_path), check=True,
                   capture_output=True, timeout=60)
    ARTIFACTS.mkdir(exist_ok=True)
    lab = Lab(root, tmp_path).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 2400},
                                          permissions=["clipboard-read", "clipboard-write"])
            page = context.new_page()
            try:
                _check_runs(page, lab.notebook_url("mine.ipynb"), trusted=True)
                _check_runs(page, lab.notebook_url("shared.ipynb"), trusted=False)
                # Notebook 7: its own page for one notebook, from the same server.
                _check_runs(page, f"{lab.url}/notebooks/mine.ipynb?token={lab.token}", trusted=True,
                            styled_checks=False)
                page.screenshot(path=str(ARTIFACTS / "reopened-notebook7.png"), full_page=True)
                _check_runs(page, f"{lab.url}/notebooks/shared.ipynb?token={lab.token}", trusted=False)
            except BaseException:
                save_failure(page, "reopen")
                raise
            finally:
                browser.close()
    finally:
        lab.stop()
