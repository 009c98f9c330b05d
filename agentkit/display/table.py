"""The comparison table (`ak.compare`) as text and as HTML: one row per model.

Pure functions over the rows `CompareTable.rows()` gives (dicts of model, text, tool_calls, turns,
tokens, cost, seconds, error), so the table prints in a terminal, renders in nbconvert and on
GitHub, and sits under the side-by-side live view, drawn by the same code each time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agentkit.cost import Cost
from agentkit.display.render import esc, style_tag

__all__ = ["HEADERS", "format_cost", "summary_cells", "table_html", "table_text"]

HEADERS = ("model", "answer", "tool calls", "turns", "tokens", "cost", "seconds")
_NUMERIC = frozenset({"tool calls", "turns", "tokens", "cost", "seconds"})
#: JupyterLab's output CSS right-aligns table cells with a stronger selector than agentkit's grid.
_CSS = (".ak.ak-compare-table table th,.ak.ak-compare-table table td{text-align:left}"
        ".ak.ak-compare-table table td.ak-num,.ak.ak-compare-table table td:first-child{white-space:nowrap}"
        ".ak.ak-compare-table table td.ak-num{text-align:right}")


def format_cost(cost: Cost | None) -> str:
    """A cost as shown in tables (`$0.0123`, `¥0.052`); `—` when unknown (no price for the model)."""
    return "—" if cost is None else str(cost)


def _row_cost(row: Mapping[str, Any]) -> Cost | None:
    amount = row.get("cost")
    return None if amount is None else Cost(amount, row.get("currency") or "USD")


def summary_cells(row: Mapping[str, Any], *, width: int = 48) -> list[str]:
    """A row's cells, in `HEADERS` order; the answer (or the error) cut to `width` characters."""
    failed = row.get("error") is not None
    answer = " ".join(str(row["error"] if failed else row.get("text") or "").split())
    if len(answer) > width:
        answer = answer[: width - 1] + "…"

    def number(name: str) -> str:
        value = row.get(name)
        return "—" if value is None else f"{value:,}"

    tokens = "—" if row.get("tokens") is None else f"{number('input_tokens')} in / {number('output_tokens')} out"
    seconds = "—" if row.get("seconds") is None else f"{row['seconds']:.1f} s"
    return [str(row["model"]), ("✕ " if failed else "") + answer, number("tool_calls"), number("turns"), tokens,
            format_cost(_row_cost(row)), seconds]


def table_text(rows: Sequence[Mapping[str, Any]], *, title: str) -> str:
    """Aligned plain-text columns under a title line."""
    lines = [summary_cells(row) for row in rows]
    widths = [max([len(h), *(len(cells[i]) for cells in lines)]) for i, h in enumerate(HEADERS)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([title, line(HEADERS), line(["-" * w for w in widths]), *(line(c) for c in lines)])


def table_html(rows: Sequence[Mapping[str, Any]], *, title: str, style: bool = True) -> str:
    """An HTML table (agentkit's theme-aware grid), each row marked with its model and whether it failed."""
    head = "".join(f"<th>{esc(h)}</th>" for h in HEADERS)
    body = []
    for row in rows:
        cells = summary_cells(row, width=120)
        tds = "".join(
            f'<td class="ak-num">{esc(c)}</td>' if h in _NUMERIC else f"<td>{esc(c)}</td>"
            for h, c in zip(HEADERS, cells, strict=True)
        )
        state = "error" if row.get("error") is not None else "ok"
        body.append(f'<tr data-model="{esc(row["model"])}" data-status="{state}">{tds}</tr>')
    return (
        f'{style_tag() if style else ""}<style>{_CSS}</style><div class="ak ak-compare-table"><div class="ak-output-head">{esc(title)}</div>'
        f'<table class="ak-grid"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
    )
