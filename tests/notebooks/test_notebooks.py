"""The tours in notebooks/ run top to bottom against the emulator, and show what they promise.

Each notebook is executed with nbclient in a fresh kernel (no relay key, no network; the kernel's
`AGENTKIT_API_KEY` is a fake secret the emulator requires). Then its outputs are checked: the live
views' final widget state holds the tool cards and answers the run produced, the static
renderings carry HTML with a plain-text fallback, and the values printed are the emulator's. No
output, widget state or rendered HTML may contain the key.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
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
    cell_outputs,
    execute,
    to_html,
    widget_html,
    widget_state,
)

pytestmark = pytest.mark.timeout(300)

WIDGET = "application/vnd.jupyter.widget-view+json"


def visible(markup: str) -> str:
    """The text a reader sees in an HTML fragment (tags dropped, entities decoded, spaces collapsed)."""
    markup = re.sub(r"<style>.*?</style>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def texts(book: Any, index: int) -> str:
    """Everything the index-th code cell printed or returned, as plain text."""
    out = []
    for output in cell_outputs(book, index):
        if output.output_type == "stream":
            out.append(output.text)
        elif "data" in output:
            out.append(output.data.get("text/plain", ""))
    return "\n".join(out)


def live_views(book: Any, index: int) -> list[Any]:
    """The live-view outputs of a code cell: once a run ends, its static form (no widget needed to reopen)."""
    views = [o for o in cell_outputs(book, index) if o.output_type == "display_data"
             and 'class="ak ak-run ak-live ak-final"' in o.data.get("text/html", "")]
    assert all(WIDGET not in o.data for o in views), "a finished run still needs its widget to show"
    return views


def check_quickstart(book: Any) -> None:
    first = live_views(book, 1)
    assert len(first) == 1 and "offline emulator" in first[0].data["text/plain"]
    # The live view's final widget state: three parallel weather cards with the tool's results.
    state = widget_html(book)
    cards = re.findall(r'<div class="ak-tool ak-ok" data-tool="get_weather"', state)
    assert len(cards) >= 3
    seen = visible(state)
    for city, temperature in (("Paris", 18), ("London", 14), ("Tokyo", 24)):
        assert f'"city": "{city}"' in seen and f'"temperature": {temperature}' in seen
    assert "3 tool calls in parallel" in seen
    assert "claude-sonnet-4-5" in seen and "✓ done" in seen
    printed = texts(book, 4)
    assert "get_weather({'city': 'Tokyo'}) -> {'city': 'Tokyo', 'temperature': 24" in printed
    # `reply` on its own line: static HTML + Markdown + text, no widget.
    static = cell_outputs(book, 5)
    assert len(static) == 1 and WIDGET not in static[0].data
    assert {"text/html", "text/markdown", "text/plain"} <= set(static[0].data)
    assert 'data-tool="get_weather"' in static[0].data["text/html"]
    assert "**✓ `get_weather`**" in static[0].data["text/markdown"]
    # The agent renders its transcript; the run in the same cell is shown once (live), not twice.
    agent_cell = cell_outputs(book, 6)
    assert [o.output_type for o in agent_cell] == ["display_data", "execute_result"]
    assert "Rome" in visible(agent_cell[1].data["text/html"])
    assert agent_cell[1].data["text/plain"].startswith("Agent('claude-sonnet-4-5'")
    assert not live_views(book, 7)  # display=False
    assert "{'city': 'Paris', 'unit': 'f'}" in texts(book, 7)  # "in fahrenheit" picks the enum's "f"
    mistakes = texts(book, 8)
    assert "Did you mean 'gpt-4o-mini'" in mistakes  # strict model names in the tours
    assert "Did you mean `system=`" in mistakes


def check_tools(book: Any) -> None:
    schemas = texts(book, 2)
    for dialect in ("openai", "responses", "anthropic", "gemini"):
        assert f"--- {dialect}" in schemas
    assert '"strict": true' in schemas and '"input_schema"' in schemas
    summary = texts(book, 3)
    for model in ("gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"):
        assert repr(model) in summary
    assert summary.count("'destination': 'NRT'") == 4
    gemini = live_views(book, 4)
    assert len(gemini) == 1 and "AK207" in gemini[0].data["text/plain"]
    failed = cell_outputs(book, 5)
    assert "The quote service is down for ACME" in failed[-1].data["text/plain"]
    assert 'class="ak-tool ak-error" data-tool="get_stock_price"' in widget_html(book)
    approval = texts(book, 6)
    assert "deleted /tmp/old.log" in approval and "did not approve" in approval


def check_switching(book: Any) -> None:
    doors = texts(book, 5)
    assert "'/v1/chat/completions', 'gpt-4o'" in doors
    assert "'/anthropic/v1/messages', 'claude-sonnet-4-5'" in doors
    assert "gemini-2.5-pro:" in doors
    assert "('assistant', ['tool_use'])" in texts(book, 6)
    footers = [visible(v.data["text/html"]) for i in (2, 3, 4) for v in live_views(book, i)]
    assert ["gpt-4o" in footers[0], "anthropic" in footers[1], "gemini" in footers[2]] == [True, True, True]
    assert all(re.search(r"\$\d+\.\d+", footer) for footer in footers)  # each run's cost, in USD
    totals = texts(book, 8)
    assert re.search(r"[1-9][\d,]* of them read from the cache", totals) and re.search(r"cost: \$\S+ USD", totals)
    assert "it has spent ¥" in texts(book, 9) and "`max_cost=0.0005`" in texts(book, 9)
    assert "¥" in visible(live_views(book, 9)[0].data["text/html"])


def check_vision(book: Any) -> None:
    described = texts(book, 3)
    assert "PNG image, 640x400 pixels" in described
    state = widget_html(book)
    # The user's picture and the tool's chart, as thumbnails in the live views.
    assert len(re.findall(r'<img src="data:image/(?:png|jpeg);base64,', state)) >= 2
    assert 'data-tool="plot_bars"' in state
    assert "Image(image/png" in texts(book, 5)
    # Audio through `files=`: the emulator read the WAV, and the live view shows its chip.
    assert "a WAV audio file of 1.5 seconds" in texts(book, 6)
    assert "greeting.wav</b> WAV · 24.0 KB" in state


def check_structured(book: Any) -> None:
    assert "'total': 150.5" in texts(book, 2) and "'item': 'hotel'" in texts(book, 2)
    table = live_views(book, 1)[0].data["text/html"]
    assert 'data-output-type="Expenses"' in table
    grid = visible(table.split('<table class="ak-grid">', 1)[1].split("</table>", 1)[0])
    assert grid.startswith("item amount category taxi 12.5 transport lunch")
    results = texts(book, 3)
    assert results.count("('City', ['country', 'name', 'population'])") == 4
    last = cell_outputs(book, 4)
    assert any('data-output-type="City"' in o.data.get("text/html", "") for o in last)


def check_relays(book: Any) -> None:
    r1 = texts(book, 1)
    assert "('gemini', '/v1beta/models/gemini-2.5-pro:generateContent')" in r1
    assert "('anthropic', '/anthropic/v1/messages')" in r1
    assert texts(book, 2).count("'/v1/chat/completions'") == 1  # the Gemini model, through the OpenAI door
    assert "[('openai', '/v1/chat/completions')]" in texts(book, 4)
    assert "'/openai/chat/completions'" in texts(book, 5)
    assert "[('openai', '/v1/chat/completions')]" in texts(book, 6)  # served by the backup host


def check_mcp(book: Any) -> None:
    listed = texts(book, 2)
    assert "get_current_time   on mcp-time" in listed and "shapes_square      on shapes" in listed
    assert 'data-tool="get_current_time"' in widget_html(book)
    seen = visible(widget_html(book))
    assert "get_current_time · mcp-time" in seen and "shapes_square · shapes" in seen
    results = texts(book, 4)
    assert "get_current_time -> {'timezone': 'Asia/Tokyo'" in results
    assert "shapes_square -> Image(image/png, 48x48" in results
    assert "Unknown color 'sky-ish'" in texts(book, 5)
    others = texts(book, 6)
    assert others.count("-> {'area': 12.0, 'perimeter': 14.0}") == 3
    assert "not connected" in texts(book, 7)
def check_compare(book: Any) -> None:
    views = [o for o in cell_outputs(book, 1) if 'class="ak-compare-view ak-final"' in o.data.get("text/html", "")]
    assert len(views) == 1 and WIDGET not in views[0].data  # the finished comparison needs no widget state
    markup = views[0].data["text/html"]
    assert markup.count('<div class="ak-compare-column">') == 4 and markup.count("<tr data-model=") == 4
    assert markup.count('data-tool="get_weather"') == 4 and "4 models, 4 answered, 0 failed" in visible(markup)
    assert "4 models, 4 answered" in views[0].data["text/plain"]
    assert widget_html(book).count('data-tool="get_weather"') >= 4  # the live columns' final state
    assert "ak-compare-table" in cell_outputs(book, 2)[0].data["text/html"]
    assert "[('get_weather', {'city': 'Rome'})] 2 turns" in texts(book, 3)
    failed = texts(book, 4)
    assert "4 models, 3 answered, 1 failed" in failed and "{'gemini-2.5-pro': 'BadRequestError'}" in failed
    assert "gemini-2.5-pro" in texts(book, 5)
    assert "{'version': 1, 'model': 'claude-sonnet-4-5', 'system': 'Be brief.', 'tools': ['get_weather']}" in texts(book, 6)
    restored = live_views(book, 7)
    assert len(restored) == 1 and 'data-tool="get_weather"' in restored[0].data["text/html"]
    assert "Rome" in restored[0].data["text/plain"]
    assert "used the tool(s) `get_weather`, not given to `load`" in texts(book, 8)


CHECKS: dict[str, Callable[[Any], None]] = {
    "01_quickstart": check_quickstart,
    "02_tools_and_schemas": check_tools,
    "03_switching_vendors": check_switching,
    "04_vision": check_vision,
    "05_structured_output": check_structured,
    "06_relay_layouts": check_relays,
    "07_mcp": check_mcp,
    "08_compare": check_compare,
}


def test_every_notebook_has_checks() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_notebook_runs_and_shows_its_results(name: str, tmp_path: Path) -> None:
    book = execute(NOTEBOOKS / f"{name}.ipynb", tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    nbformat.write(book, ARTIFACTS / f"{name}.executed.ipynb")
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    CHECKS[name](book)
    saved = nbformat.writes(book)
    assert SECRET not in saved, f"the API key leaked into {name}"
    assert all(SECRET not in str(state) for state in widget_state(book).values())


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")
def test_executed_notebook_renders_to_html_with_its_widgets(tmp_path: Path) -> None:
    """nbconvert HTML with the widget renderer served locally: the live views render, not blank."""
    from playwright.sync_api import sync_playwright

    book = execute(NOTEBOOKS / "01_quickstart.ipynb", tmp_path)
    source = tmp_path / "quickstart.ipynb"
    nbformat.write(book, source)
    page_path = to_html(source, tmp_path / "quickstart.html")
    markup = page_path.read_text()
    assert SECRET not in markup
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("request", lambda r: None if r.url.startswith(("file://", "data:", "blob:")) else outside.append(r.url))
        try:
            page.goto(page_path.as_uri())
            page.locator(".ak-live .ak-tool").first.wait_for(timeout=30_000)
            assert page.locator(".ak-live").count() == 3  # one live view per run with display on
            assert page.locator(".ak-live .ak-tool[data-status=ok]").count() >= 4
            assert "offline emulator" in page.locator(".ak-live").first.inner_text()
            assert page.locator(".ak-live .ak-footer-view").first.inner_text().count("done") == 1
            page.screenshot(path=str(ARTIFACTS / "static-html.png"), full_page=True)
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "static-html-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert not outside, f"the static page reached for {outside[:5]}"
