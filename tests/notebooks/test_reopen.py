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


def _check_runs(page: Any, name: str, lab: Lab, *, trusted: bool) -> None:
    page.goto(lab.notebook_url(name))
    page.locator(".jp-Notebook .ak-live .ak-tool").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # let every output render (and any widget error appear)
    runs = page.locator(".jp-Notebook .ak-live")
    assert runs.count() == 3  # one per run shown live in the tour
    assert "You said: Hello!" in runs.first.inner_text()
    assert page.locator(".jp-Notebook .ak-live .ak-tool").count() >= 4
    for i in range(runs.count()):
        assert "done" in runs.nth(i).locator(".ak-footer-view").inner_text()
    assert "Error displaying widget" not in page.locator(".jp-Notebook").inner_text()
    assert SECRET not in page.content()
    if trusted:  # styled as it was live: the cards in a grid, their statuses kept
        assert page.locator(".jp-Notebook .ak-live .ak-tool[data-status=ok]").count() >= 4
        grid = page.locator(".jp-Notebook .ak-live .ak-tools-view").first
        assert grid.evaluate("e => getComputedStyle(e).display") == "grid"
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
