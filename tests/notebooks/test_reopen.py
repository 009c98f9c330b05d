"""A saved notebook reopens in JupyterLab showing every run, with no kernel and no widget state.

JupyterLab does not save widget state by default. The tour is executed (nbclient), its widget state
dropped as JupyterLab would, and the file opened in a fresh JupyterLab in headless Chromium without
running anything: every run shows its answer, tool cards and footer, and no "Error displaying
widget" appears anywhere.
"""

from __future__ import annotations

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


def _check_runs(page: Any, name: str, lab: Lab, *, trusted: bool) -> None:
    page.goto(lab.notebook_url(name))
    page.locator(".jp-Notebook .ak-live .ak-tool").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # let every output render (and any widget error appear)
    runs = page.locator(".jp-Notebook .ak-live")
    assert runs.count() == 3  # one per run shown live in the tour
    assert "offline emulator" in runs.first.inner_text()
    assert page.locator(".jp-Notebook .ak-live .ak-tool").count() >= 4
    for i in range(runs.count()):
        assert "done" in runs.nth(i).locator(".ak-footer-view").inner_text()
    assert "Error displaying widget" not in page.locator(".jp-Notebook").inner_text()
    assert SECRET not in page.content()
    if trusted:  # styled as it was live: the cards in a grid, their statuses kept
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
    page.screenshot(path=str(ARTIFACTS / f"reopened-{'trusted' if trusted else 'untrusted'}.png"), full_page=True)


def test_a_saved_notebook_reopens_showing_every_run(tmp_path: Path) -> None:
    """Saved by its author (JupyterLab signs what it saves: trusted, styled) or shared (untrusted: the
    sanitizer drops styles, the content stays)."""
    from playwright.sync_api import sync_playwright

    book = execute(NOTEBOOKS / "01_quickstart.ipynb", tmp_path)
    book.metadata.pop("widgets", None)  # what JupyterLab saves by default: no widget state
    root = tmp_path / "root"
    root.mkdir()
    nbformat.write(book, root / "shared.ipynb")
    nbformat.write(book, root / "mine.ipynb")
    sign = "from nbformat.sign import TrustNotebookApp; TrustNotebookApp.launch_instance()"
    subprocess.run([sys.executable, "-c", sign, str(root / "mine.ipynb")], env=kernel_env(tmp_path), check=True,
                   capture_output=True, timeout=60)
    ARTIFACTS.mkdir(exist_ok=True)
    lab = Lab(root, tmp_path).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 2400})
            try:
                _check_runs(page, "mine.ipynb", lab, trusted=True)
                _check_runs(page, "shared.ipynb", lab, trusted=False)
            except BaseException:
                save_failure(page, "reopen")
                raise
            finally:
                browser.close()
    finally:
        lab.stop()
